#!/usr/bin/env bash
# Runs the Swift benchmark and Python tiktoken on the same corpus, one core each, and prints the ratio.
# Usage: Benchmarks/tiktoken/compare.sh [CORPUS.json]   (default: Debian package descriptions, see make_corpus.py)
# Env: TIKTOKEN_RANKS (ranks file), PYTHON (with tiktoken installed), MIN_SECONDS (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/tiktoken/find_ranks.sh
CORPUS=${1:-}
if [[ -z "$CORPUS" ]]; then
    CORPUS=$(mktemp --suffix=.json)
    trap 'rm -f "$CORPUS"' EXIT
    "$PYTHON" Benchmarks/tiktoken/make_corpus.py "$CORPUS"
fi
swift build -c release --product embedsync-bpe-bench >&2
BIN=$(swift build -c release --show-bin-path)/embedsync-bpe-bench
ours=$(taskset -c 0 "$BIN" "$RANKS" "$CORPUS" "${MIN_SECONDS:-3}")
theirs=$(taskset -c 0 "$PYTHON" Benchmarks/tiktoken/tiktoken_bench.py "$RANKS" "$CORPUS")
echo "$ours"
echo "$theirs"
"$PYTHON" - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert ours["tokens"] == theirs["tokens"], f"token totals differ: {ours['tokens']} vs {theirs['tokens']}"
best = max(theirs["batch_tokens_per_s"], theirs["loop_tokens_per_s"])
print(json.dumps({
    "tokens_equal": True,
    "encode_vs_tiktoken_best": round(ours["encode_tokens_per_s"] / best, 2),
    "encode_vs_tiktoken_batch": round(ours["encode_tokens_per_s"] / theirs["batch_tokens_per_s"], 2),
    "encode_vs_tiktoken_loop": round(ours["encode_tokens_per_s"] / theirs["loop_tokens_per_s"], 2),
    "load_ms_ours_first": ours["load_ms_first"], "load_ms_tiktoken": theirs["load_ms"],
}))
PY
