#!/usr/bin/env bash
# Exact top-10 search over 10k, 100k and 1M random 384-d vectors vs memcpy of the same bytes (the memory-bandwidth bound).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product embedsync-bench >&2
"$(swift build -c release --show-bin-path)/embedsync-bench" search "$@"
