#!/usr/bin/env bash
# A throwaway PostgreSQL 16 with pgvector for EmbedSync's tests, from PyPI's `pgserver` (it bundles both).
#
#   scripts/postgres.sh start   # installs pgserver into .venv if needed, starts the server, prints its URL
#   scripts/postgres.sh url     # prints the URL of the running server
#   scripts/postgres.sh stop    # stops it (the data dir is kept; `start` reuses it)
#   scripts/postgres.sh restart # stops it and starts it again on the same port (tests of a restart mid-run)
#
#   export EMBEDSYNC_TEST_POSTGRES_URL=$(scripts/postgres.sh start)
#
# The server listens on 127.0.0.1 only, on a free port, with password authentication over TCP
# (user `postgres`, password $EMBEDSYNC_PG_PASSWORD or `embedsync`) and trust on its Unix socket
# (inside the data dir). The data dir is $EMBEDSYNC_PG_DIR, default .build/pg. When run as root, the
# server runs as the system user `pgserver` (PostgreSQL refuses to run as root), created if missing.
# Idempotent: `start` on a running server only prints its URL. Needs no network but PyPI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGDIR="${EMBEDSYNC_PG_DIR:-$ROOT/.build/pg}"
DATA="$PGDIR/data"
LOG="$PGDIR/postgres.log"
PORT_FILE="$PGDIR/port"
PASSWORD="${EMBEDSYNC_PG_PASSWORD:-embedsync}"
VENV="$ROOT/.venv"

log() { echo "postgres.sh: $*" >&2; }

ensure_pgserver() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c 'import pgserver' 2>/dev/null; then
        log "installing pgserver from PyPI"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check pgserver >&2
    fi
    BIN="$("$VENV/bin/python" -c 'import pgserver, os; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))' 2>/dev/null)"
    [ -x "$BIN/pg_ctl" ] || { log "no pg_ctl in $BIN"; exit 1; }
}

# Runs a PostgreSQL binary as the server's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u pgserver -- "$@"
    else
        "$@"
    fi
}

prepare_owner() {
    [ "$(id -u)" = 0 ] || return 0
    id pgserver >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pgserver
    # The owner must traverse every folder above the binaries and the data dir.
    local dir
    for dir in "$BIN" "$PGDIR"; do
        while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir="$(dirname "$dir")"; done
    done
    chmod -R o+rX "$(dirname "$BIN")"
    chown pgserver "$PGDIR"
}

is_running() {
    [ -f "$DATA/postmaster.pid" ] && [ -f "$PORT_FILE" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The server must not keep the caller's other open files: a test runner waiting for this script to end (Foundation's
# Process watches a descriptor its child inherits) would wait for the server instead.
close_inherited_fds() {
    local fd pid=$BASHPID
    for fd in $(ls "/proc/$pid/fd" 2>/dev/null); do
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
}

print_url() {
    echo "postgres://postgres:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/postgres"
}

psql_socket() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$(cat "$PORT_FILE")" -U postgres -d postgres "$@"
}

start() {
    ensure_pgserver
    mkdir -p "$PGDIR"
    prepare_owner
    if is_running; then print_url; return; fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        log "initializing $DATA"
        rm -rf "$DATA"
        as_owner mkdir -p "$DATA"
        local pwfile="$PGDIR/.pw"
        printf '%s\n' "$PASSWORD" > "$pwfile"
        [ "$(id -u)" = 0 ] && chown pgserver "$pwfile"
        chmod 600 "$pwfile"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --encoding=UTF8 --auth-local=trust --auth-host=scram-sha-256 \
            --pwfile="$pwfile" >"$PGDIR/initdb.log" 2>&1 || { cat "$PGDIR/initdb.log" >&2; rm -f "$pwfile"; exit 1; }
        rm -f "$pwfile"
    fi
    if [ -n "${EMBEDSYNC_PG_PORT:-}" ]; then echo "$EMBEDSYNC_PG_PORT" > "$PORT_FILE"; else free_port > "$PORT_FILE"; fi
    local port; port="$(cat "$PORT_FILE")"
    as_owner touch "$LOG" 2>/dev/null || true
    [ "$(id -u)" = 0 ] && chown pgserver "$LOG"
    if ! (close_inherited_fds; as_owner "$BIN/pg_ctl" -D "$DATA" -w -t 30 -l "$LOG" \
        -o "-h 127.0.0.1 -p $port -k $DATA -c max_connections=200" restart >/dev/null 2>&1); then
        log "PostgreSQL did not start; its log ($LOG):"
        tail -n 30 "$LOG" >&2 || true
        exit 1
    fi
    psql_socket -c "SET client_min_messages TO warning;" -c "ALTER USER postgres PASSWORD '$PASSWORD';" -c "CREATE EXTENSION IF NOT EXISTS vector;" >&2
    print_url
}

stop() {
    ensure_pgserver
    if [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -w -m fast stop >/dev/null 2>&1 || true
        log "stopped"
    else
        log "not running"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
restart)
    ensure_pgserver
    is_running || { log "not running; run scripts/postgres.sh start"; exit 1; }
    port="$(cat "$PORT_FILE")"
    stop
    EMBEDSYNC_PG_PORT="$port" start
    ;;
url)
    ensure_pgserver
    is_running || { log "not running; run scripts/postgres.sh start"; exit 1; }
    print_url
    ;;
psql)
    shift
    ensure_pgserver
    is_running || { log "not running; run scripts/postgres.sh start"; exit 1; }
    psql_socket "$@"
    ;;
*)
    echo "usage: $0 start|stop|restart|url|psql [psql args]" >&2
    exit 2
    ;;
esac
