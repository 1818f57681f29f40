#!/usr/bin/env bash
# Throughput and peak memory of `embedsync run --provider local` over real rows (Debian package descriptions),
# next to ONNX Runtime (fp32, all optimisations) and sentence-transformers on the same texts, in the same session.
# Usage: [BIN=DIR] Benchmarks/run.sh [N=10000] [VARIANT=short] [REPEATS=1] [PRECISION=fp32]
# PRECISION=int8 runs `embedsync run --precision int8` and compares it with ONNX Runtime int8 and fp32.
# Needs ../shared/bench/setup.sh run once (PERF_DIR: a venv with the reference engines and the corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
export PERF_DIR=${PERF_DIR:-${TMPDIR:-/tmp}/perf-anchors}
[ -f "$PERF_DIR/debian_packages.jsonl" ] || PERF_DIR="$PERF_DIR" bash ../shared/bench/setup.sh >&2
bash scripts/setup.sh >&2
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path), e.g. one kept apart from debug builds
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt binaries in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
    BIN="$SCRATCH/release"
fi
export VIRTUAL_ENV="$(pwd)/.venv"
python3 Benchmarks/run_bench.py --embedsync "$BIN/embedsync" \
    --n "${1:-10000}" --variant "${2:-short}" --repeats "${3:-1}" --precision "${4:-fp32}" \
    --engines "$([ "${4:-fp32}" = int8 ] && echo ort-int8,ort || echo ort,st)"
