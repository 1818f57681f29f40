#!/usr/bin/env bash
# Exact top-10 search over 10k, 100k and 1M random 384-d vectors vs memcpy of the same bytes (the memory-bandwidth bound).
# Usage: [BIN=DIR] Benchmarks/search.sh [--sizes 10000,100000,1000000] [--dims 384]
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt embedsync-bench in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync-bench >&2
    BIN="$SCRATCH/release"
fi
"$BIN/embedsync-bench" search "$@"
