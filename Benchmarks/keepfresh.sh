#!/usr/bin/env bash
# Keep-fresh at scale, measured from outside: a table of ROWS rows (three columns, about 30 words a row) is backfilled
# by `embedsync run` (release build) through the fake provider (DIMS-d vectors), then run again with nothing to do,
# then `estimate` and `status`. Prints one JSON line per command: wall seconds and peak RSS (GNU time).
# Usage: Benchmarks/keepfresh.sh [ROWS=200000] [STORE=sqlite|postgres] [DIMS=384]
# STORE=postgres uses EMBEDSYNC_BENCH_POSTGRES_URL, or starts a throwaway one with scripts/postgres.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-200000}
STORE=${2:-sqlite}
DIMS=${3:-384}
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
swift build -c release --scratch-path "$SCRATCH" --product embedsync-fake-provider >&2
BIN="$SCRATCH/release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/embedsync-keepfresh.XXXXXX")
FAKE_PID=
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN/embedsync-fake-provider" --dimensions "$DIMS" > "$WORK/url" &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(head -1 "$WORK/url")

TABLE=keepfresh_$ROWS
if [ "$STORE" = postgres ]; then
    DB=${EMBEDSYNC_BENCH_POSTGRES_URL:-$(bash scripts/postgres.sh start)}
    export VIRTUAL_ENV="$(pwd)/.venv"
    PY="$VIRTUAL_ENV/bin/python3"
else
    DB="$WORK/bench.db"
    PY=python3
fi
# Rows of Debian-like text: a name, a one-line summary and a paragraph.
"$PY" - "$STORE" "$DB" "$TABLE" "$ROWS" <<'PY'
import random, sys
store, db, table, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
words = ("library tool data file system network server client package support module interface python "
         "development documentation command line utility graphics audio video kernel driver shared "
         "runtime binary source compiler plugin extension format parser database").split()
rng = random.Random(7)
def row(i):
    return (i, f"pkg-{i}", " ".join(rng.choices(words, k=6)), " ".join(rng.choices(words, k=24)))
if store == "postgres":
    import psycopg
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}_embeddings")
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, name text, summary text, body text)")
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for i in range(1, rows + 1):
                copy.write_row(row(i))
else:
    import sqlite3
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, summary TEXT, body TEXT)")
    conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", (row(i) for i in range(1, rows + 1)))
    conn.commit()
PY

# measure NAME COMMAND...: one JSON line with the wall time and peak RSS of the command.
measure() {
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" > "$WORK/out.json"
    read -r wall rss < "$WORK/time"
    echo "{\"bench\":\"keepfresh\",\"store\":\"$STORE\",\"rows\":$ROWS,\"dims\":$DIMS,\"command\":\"$name\"," \
        "\"seconds\":$wall,\"peak_rss_mb\":$((rss / 1024))}"
}
COMMON=(--database "$DB" --table "$TABLE" --template '{{name}}: {{summary}}. {{body}}'
    --provider openai-compatible --model fake-embed --dimensions "$DIMS" --base-url "$URL")
measure backfill "$BIN/embedsync" run "${COMMON[@]}" --json --quiet
measure noop_run "$BIN/embedsync" run "${COMMON[@]}" --json --quiet
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["embedded"] == 0, s' "$WORK/out.json"
measure estimate "$BIN/embedsync" estimate "${COMMON[@]}" --json
measure status "$BIN/embedsync" status "${COMMON[@]}" --json
