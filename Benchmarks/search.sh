#!/usr/bin/env bash
# Exact top-10 search over 10k, 100k and 1M random 384-d vectors vs memcpy of the same bytes (the memory-bandwidth bound).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
swift build -c release --scratch-path "$SCRATCH" --product embedsync-bench >&2
"$SCRATCH/release/embedsync-bench" search "$@"
