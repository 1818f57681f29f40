#!/usr/bin/env bash
# Runs embedsync-local-bench and the reference engines (ONNX Runtime fp32 all-opt, sentence-transformers)
# interleaved in one session, and prints texts/s per engine with our ratio to each reference.
#
#   PERF_DIR=DIR Benchmarks/local/compare.sh [N=2000] [REPEATS=3] [VARIANTS="short long"]
# Needs: `swift build -c release` done, and shared/bench/setup.sh run with the same PERF_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-${1:-2000}}
REPEATS=${REPEATS:-3}
VARIANTS=${VARIANTS:-"short long"}
export PERF_DIR=${PERF_DIR:-${TMPDIR:-/tmp}/perf-anchors}
export CORPUS=${CORPUS:-$PERF_DIR/debian_packages.jsonl}
SHARED_BENCH=${SHARED_BENCH:-$(cd "$here/../shared/bench" 2>/dev/null && pwd || echo ../shared/bench)}
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 RAYON_NUM_THREADS=2 \
       TOKENIZERS_PARALLELISM=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
(cd "$here" && swift build -c release --product embedsync-local-bench >&2)
ours="$here/.build/release/embedsync-local-bench"
py="$PERF_DIR/venv/bin/python"
out=$(mktemp)
for variant in $VARIANTS; do
  for rep in $(seq "$REPEATS"); do
    echo "== $variant run $rep/$REPEATS" >&2
    "$ours" --variant "$variant" --n "$N" | sed "s/^/ours $variant /" >>"$out"
    if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
      # The environment forces OpenBLAS's kernel set; also show what OpenBLAS picks by itself.
      env -u OPENBLAS_CORETYPE "$ours" --variant "$variant" --n "$N" | sed "s/^/ours-autocore $variant /" >>"$out"
    fi
    "$py" "$SHARED_BENCH/bench.py" --engine ort --opt all --model fp32 --variant "$variant" --n "$N" 2>/dev/null \
      | grep '^RESULT ' | tail -1 | sed "s/^RESULT /ort $variant /" >>"$out"
    "$py" "$SHARED_BENCH/bench.py" --engine st --variant "$variant" --n "$N" 2>/dev/null \
      | grep '^RESULT ' | tail -1 | sed "s/^RESULT /st $variant /" >>"$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    engine, variant, payload = line.split(" ", 2)
    if not payload.strip().startswith("{"):
        continue
    d = json.loads(payload)
    runs.setdefault((variant, engine), []).append(d)
for variant in sorted({v for v, _ in runs}, key=lambda v: v != "short"):
    med = {e: statistics.median(r["texts_per_s"] for r in runs[(v, e)]) for (v, e) in runs if v == variant}
    rss = {e: max(r.get("peak_rss_kb", r.get("hwm_end_kb", 0)) for r in runs[(v, e)]) // 1024 for (v, e) in runs if v == variant}
    all_runs = {e: [round(r["texts_per_s"], 1) for r in runs[(v, e)]] for (v, e) in runs if v == variant}
    print(f"{variant}: " + ", ".join(f"{e} {med[e]:.1f} texts/s {all_runs[e]} peak {rss[e]} MB" for e in ("ours", "ours-autocore", "ort", "st") if e in med))
    for mine in ("ours", "ours-autocore"):
        if mine in med:
            kernels = runs[(variant, mine)][0].get("blas_kernels", "?")
            for ref in ("ort", "st"):
                if ref in med:
                    print(f"  {mine} (OpenBLAS {kernels}) / {ref} = {med[mine] / med[ref]:.2f}x")
    for mine in ("ours", "ours-autocore"):
        gf = [r["gflops_per_s"] for r in runs.get((variant, mine), [])]
        if gf:
            print(f"  {mine} GFLOP/s (median) {statistics.median(gf):.1f}")
PY
cp "$out" "${COMPARE_LOG:-/tmp/embedsync-compare.log}"; rm -f "$out"
