#!/usr/bin/env bash
# Runs embedsync-local-bench (fp32 and int8) and the reference engines (ONNX Runtime fp32 and int8 — dynamic
# quantisation, per channel — with all optimisations, sentence-transformers) interleaved in one session, and prints
# texts/s per engine with our ratios to each reference.
#
#   PERF_DIR=DIR Benchmarks/local/compare.sh [N=2000] [REPEATS=3] [VARIANTS="short long"] [ST=0] [BLAS=0]
# ST=0 skips sentence-transformers, BLAS=0 our fp32 BLAS path (both slow, and not the int8 comparison).
# Needs: `swift build -c release` done, and shared/bench/setup.sh run with the same PERF_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-${1:-2000}}
REPEATS=${REPEATS:-3}
VARIANTS=${VARIANTS:-"short long"}
ST=${ST:-1}
BLAS=${BLAS:-1}
export PERF_DIR=${PERF_DIR:-${TMPDIR:-/tmp}/perf-anchors}
export CORPUS=${CORPUS:-$PERF_DIR/debian_packages.jsonl}
SHARED_BENCH=${SHARED_BENCH:-$(cd "$here/../shared/bench" 2>/dev/null && pwd || echo ../shared/bench)}
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 RAYON_NUM_THREADS=2 \
       TOKENIZERS_PARALLELISM=true HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
SCRATCH=${SCRATCH:-$here/.build}   # the build folder (--scratch-path), e.g. one kept apart from debug builds
(cd "$here" && swift build -c release --scratch-path "$SCRATCH" --product embedsync-local-bench >&2)
ours="$SCRATCH/release/embedsync-local-bench"
py="$PERF_DIR/venv/bin/python"
out=$(mktemp)
"$ours" --sgemm-peak | sed "s/^/peak - /" >>"$out"
for variant in $VARIANTS; do
  for rep in $(seq "$REPEATS"); do
    echo "== $variant run $rep/$REPEATS" >&2
    "$ours" --variant "$variant" --n "$N" | sed "s/^/ours $variant /" >>"$out"
    "$ours" --variant "$variant" --n "$N" --precision int8 | sed "s/^/ours-int8 $variant /" >>"$out"
    # The same model on the BLAS path (what machines without AVX-512 run).
    [ "$BLAS" = 0 ] || "$ours" --variant "$variant" --n "$N" --kernel blas | sed "s/^/ours-blas $variant /" >>"$out"
    "$py" "$SHARED_BENCH/bench.py" --engine ort --opt all --model fp32 --variant "$variant" --n "$N" 2>/dev/null \
      | grep '^RESULT ' | tail -1 | sed "s/^RESULT /ort $variant /" >>"$out"
    "$py" "$SHARED_BENCH/bench.py" --engine ort --opt all --model int8 --variant "$variant" --n "$N" 2>/dev/null \
      | grep '^RESULT ' | tail -1 | sed "s/^RESULT /ort-int8 $variant /" >>"$out"
    [ "$ST" = 0 ] || "$py" "$SHARED_BENCH/bench.py" --engine st --variant "$variant" --n "$N" 2>/dev/null \
      | grep '^RESULT ' | tail -1 | sed "s/^RESULT /st $variant /" >>"$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = {}
peak = None
for line in open(sys.argv[1]):
    engine, variant, payload = line.split(" ", 2)
    if not payload.strip().startswith("{"):
        continue
    d = json.loads(payload)
    if engine == "peak":
        peak = d
        print(f"sgemm on 2 threads, model shape 512x384x1536: " + ", ".join(
            f"{k.replace('_gflops_per_s', '')} {v:.1f} GFLOP/s" for k, v in sorted(d.items()) if k.endswith("_gflops_per_s")))
        continue
    runs.setdefault((variant, engine), []).append(d)
for variant in sorted({v for v, _ in runs}, key=lambda v: v != "short"):
    med = {e: statistics.median(r["texts_per_s"] for r in runs[(v, e)]) for (v, e) in runs if v == variant}
    rss = {e: max(r.get("peak_rss_kb", r.get("hwm_end_kb", 0)) for r in runs[(v, e)]) // 1024 for (v, e) in runs if v == variant}
    all_runs = {e: [round(r["texts_per_s"], 1) for r in runs[(v, e)]] for (v, e) in runs if v == variant}
    print(f"{variant}: " + ", ".join(f"{e} {med[e]:.1f} texts/s {all_runs[e]} peak {rss[e]} MB" for e in ("ours", "ours-int8", "ours-blas", "ort", "ort-int8", "st") if e in med))
    if "ours-int8" in med:
        for ref in ("ours", "ort-int8", "ort"):
            if ref in med:
                print(f"  ours-int8 / {ref} = {med['ours-int8'] / med[ref]:.2f}x")
    for mine in ("ours", "ours-blas"):
        if mine in med:
            first = runs[(variant, mine)][0]
            kernel = first.get("kernel", "?") + (f" (OpenBLAS {first.get('blas_kernels', '?')})" if first.get("kernel") == "blas" else "")
            for ref in ("ort", "st"):
                if ref in med:
                    print(f"  {mine} [{kernel}] / {ref} = {med[mine] / med[ref]:.2f}x")
    for mine in ("ours", "ours-blas"):
        gf = [r["gflops_per_s"] for r in runs.get((variant, mine), [])]
        if gf:
            kernel = runs[(variant, mine)][0].get("kernel", "?")
            best = peak.get(f"{kernel}_gflops_per_s") if peak else None
            share = f" = {statistics.median(gf) / best:.0%} of its kernel's sgemm" if best else ""
            print(f"  {mine} GFLOP/s (median) {statistics.median(gf):.1f}{share}")
PY
cp "$out" "${COMPARE_LOG:-/tmp/embedsync-compare.log}"; rm -f "$out"
