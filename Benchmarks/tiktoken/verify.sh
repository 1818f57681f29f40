#!/usr/bin/env bash
# Compares token ids text by text with Python tiktoken on the Debian corpus and on random fuzz texts.
# Usage: Benchmarks/tiktoken/verify.sh [FUZZ_COUNT] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
source Benchmarks/tiktoken/find_ranks.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release --product embedsync-bpe-bench >&2
BIN=$(swift build -c release --show-bin-path)/embedsync-bpe-bench
"$PYTHON" Benchmarks/tiktoken/make_corpus.py "$work/corpus.json"
"$PYTHON" Benchmarks/tiktoken/make_fuzz.py "$work/fuzz.json" "${1:-20000}" "${2:-1}"
for name in corpus fuzz; do
    "$BIN" "$RANKS" "$work/$name.json" dump > "$work/$name.ids.json"
    "$PYTHON" Benchmarks/tiktoken/verify_ids.py "$RANKS" "$work/$name.json" "$work/$name.ids.json"
done
