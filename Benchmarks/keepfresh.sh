#!/usr/bin/env bash
# Keep-fresh at scale, measured from outside: a table of ROWS rows (three columns, about 30 words a row) is backfilled
# by `embedsync run` (release build) through the fake provider (DIMS-d vectors), then run again with nothing to do,
# then `estimate` and `status`. Prints one JSON line per command: wall seconds and peak RSS (GNU time).
# Usage: [BIN=DIR] Benchmarks/keepfresh.sh [ROWS=200000] [STORE=sqlite|postgres] [DIMS=384]
# STORE=postgres uses EMBEDSYNC_BENCH_POSTGRES_URL, or the project's throwaway one (scripts/postgres.sh start).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-200000}
STORE=${2:-sqlite}
DIMS=${3:-384}
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt binaries in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
    swift build -c release --scratch-path "$SCRATCH" --product embedsync-fake-provider >&2
    BIN="$SCRATCH/release"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/embedsync-keepfresh.XXXXXX")
FAKE_PID=
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }
trap cleanup EXIT

"$BIN/embedsync-fake-provider" --dimensions "$DIMS" > "$WORK/url" &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(head -1 "$WORK/url")

TABLE=keepfresh_$ROWS
# Rows of Debian-like text: a name, a one-line summary (6 words) and a paragraph (24 words).
WORDS="library tool data file system network server client package support module interface python development
documentation command line utility graphics audio video kernel driver shared runtime binary source compiler plugin
extension"
if [ "$STORE" = postgres ]; then
    if [ -n "${EMBEDSYNC_BENCH_POSTGRES_URL:-}" ]; then
        DB=$EMBEDSYNC_BENCH_POSTGRES_URL PSQL=(psql "$DB")
    else
        DB=$(bash scripts/postgres.sh start) PSQL=(bash scripts/postgres.sh psql)
    fi
    words=$(printf "'%s'," $WORDS)
    pick="(ARRAY[${words%,}])[1 + ((g::bigint * 7919 + k * 104729) % 31)::int]"
    "${PSQL[@]}" -q -c "DROP TABLE IF EXISTS ${TABLE}_embeddings; DROP TABLE IF EXISTS $TABLE;
        CREATE TABLE $TABLE (id bigint PRIMARY KEY, name text, summary text, body text);
        INSERT INTO $TABLE SELECT g, 'pkg-' || g,
            (SELECT string_agg($pick, ' ') FROM generate_series(1, 6) k),
            (SELECT string_agg($pick, ' ') FROM generate_series(7, 30) k)
        FROM generate_series(1, $ROWS) g;" >/dev/null
else
    DB="$WORK/bench.db"
    python3 - "$DB" "$TABLE" "$ROWS" "$WORDS" <<'PY'
import random, sqlite3, sys
db, table, rows, words = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
rng = random.Random(7)
conn = sqlite3.connect(db)
conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, summary TEXT, body TEXT)")
conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                 ((i, f"pkg-{i}", " ".join(rng.choices(words, k=6)), " ".join(rng.choices(words, k=24)))
                  for i in range(1, rows + 1)))
conn.commit()
PY
fi

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
