#!/usr/bin/env bash
# The int8 accuracy gates (golden texts, tricky texts, top-10 retrieval on Debian rows); see accuracy.py.
#
#   PERF_DIR=DIR Benchmarks/local/accuracy.sh [--rows 5000] [--queries 100] [--int8-group 32]
# Needs shared/bench/setup.sh run with the same PERF_DIR (its venv has sentence-transformers, and the corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
export PERF_DIR=${PERF_DIR:-${TMPDIR:-/tmp}/perf-anchors}
export OMP_NUM_THREADS=2 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VIRTUAL_ENV=${VIRTUAL_ENV:-$here/.venv}
SCRATCH=${SCRATCH:-$here/.build}
(cd "$here" && swift build -c release --scratch-path "$SCRATCH" --product embedsync-local-bench >&2)
cd "$here"
"$PERF_DIR/venv/bin/python" Benchmarks/local/accuracy.py --bench "$SCRATCH/release/embedsync-local-bench" \
  --corpus "${CORPUS:-$PERF_DIR/debian_packages.jsonl}" "$@"
