# Sourced by the bench scripts: sets RANKS to $TIKTOKEN_RANKS or the nearest shared/data/cl100k_base.tiktoken above.
if [[ -n "${TIKTOKEN_RANKS:-}" ]]; then
    RANKS=$TIKTOKEN_RANKS
else
    dir=$(pwd)
    RANKS=""
    while [[ "$dir" != "/" ]]; do
        if [[ -f "$dir/shared/data/cl100k_base.tiktoken" ]]; then RANKS="$dir/shared/data/cl100k_base.tiktoken"; break; fi
        dir=$(dirname "$dir")
    done
    [[ -n "$RANKS" ]] || { echo "cl100k_base.tiktoken not found: set TIKTOKEN_RANKS" >&2; exit 1; }
fi
PYTHON=${PYTHON:-$(pwd)/.venv/bin/python}
