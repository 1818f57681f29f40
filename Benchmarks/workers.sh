#!/usr/bin/env bash
# Many workers on one PostgreSQL table: for each N in NS, N `embedsync run` processes started at once against the
# same table (they share its rows through claims), through the fake provider LATENCY seconds away. The target is reset
# (`embedsync reset --yes`) before each N. Prints one JSON line per N: wall seconds until the last worker exits,
# rows/s, speedup over N=1, efficiency (speedup / N), and the rows embedded summed over the workers' --json
# summaries, which must equal ROWS (no row embedded twice, none left): the script fails loudly otherwise.
# Default size: one worker (4 requests in flight, batches of BATCH rows) needs 6000 / 20 / 4 x 0.3 s = 22.5 s of
# provider time, plus its database work and its waits on locks in embedsync_claims.
# Each line also counts the transactions the workers retried, by SQLSTATE (their info log: 40P01 is a deadlock, which
# PostgreSQL detects after deadlock_timeout, 1 s by default). RUN_FLAGS: more `embedsync run` flags for every worker.
# Usage: [BIN=DIR] [BATCH=20] [RUN_FLAGS=...] Benchmarks/workers.sh [ROWS=6000] [LATENCY=0.3] [NS=1,2,4,8]
# PostgreSQL: EMBEDSYNC_BENCH_POSTGRES_URL, or a throwaway one started with scripts/postgres.sh. Needs psql.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-6000}
LATENCY=${2:-0.3}
NS=${3:-1,2,4,8}
BATCH=${BATCH:-20}
TABLE=workers_items
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt binaries in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
    swift build -c release --scratch-path "$SCRATCH" --product embedsync-fake-provider >&2
    BIN="$SCRATCH/release"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/embedsync-workers.XXXXXX")
FAKE_PID=
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/embedsync-fake-provider" --dimensions 16 --latency "$LATENCY" > "$WORK/url" &
FAKE_PID=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
URL=$(head -1 "$WORK/url")
PGURL=${EMBEDSYNC_BENCH_POSTGRES_URL:-$(bash scripts/postgres.sh start)}

# ROWS rows of about 20 words each.
psql "$PGURL" -v ON_ERROR_STOP=1 -qAt >/dev/null <<SQL
DROP TABLE IF EXISTS ${TABLE}_embeddings;
DROP TABLE IF EXISTS $TABLE;
CREATE TABLE $TABLE (id bigint PRIMARY KEY, body text NOT NULL);
INSERT INTO $TABLE SELECT g, 'item ' || g || ': ' || repeat(md5(g::text) || ' ', 19) FROM generate_series(1, $ROWS) g;
SQL

COMMON=(--database "$PGURL" --table "$TABLE" --template '{{body}}' --provider openai-compatible --model fake-embed
    --dimensions 16 --base-url "$URL")
arrivals() { curl -sf "$URL/stats" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["arrivals"]))'; }

BASE_RATE=
for n in ${NS//,/ }; do
    "$BIN/embedsync" reset "${COMMON[@]}" --yes > /dev/null
    before=$(arrivals)
    rm -f "$WORK"/worker.*
    PIDS=()
    start=$(date +%s.%N)
    for i in $(seq "$n"); do
        # shellcheck disable=SC2086
        EMBEDSYNC_LOG_LEVEL=info "$BIN/embedsync" run "${COMMON[@]}" --batch-size "$BATCH" --json --quiet \
            ${RUN_FLAGS:-} \
            > "$WORK/worker.$i.json" 2> "$WORK/worker.$i.err" &
        PIDS+=($!)
    done
    failed=0
    for i in $(seq "$n"); do
        status=0
        wait "${PIDS[$((i - 1))]}" || status=$?
        if [ "$status" != 0 ]; then
            echo "workers.sh: N=$n worker $i exited with status $status:" >&2
            cat "$WORK/worker.$i.err" "$WORK/worker.$i.json" >&2
            failed=1
        fi
    done
    end=$(date +%s.%N)
    PIDS=()
    [ "$failed" = 0 ] || exit 1
    stored=$(psql "$PGURL" -qAt -c "SELECT count(*), count(DISTINCT id) FROM ${TABLE}_embeddings")
    requests=$(($(arrivals) - before))
    line=$(python3 - "$n" "$ROWS" "$BATCH" "$LATENCY" "$start" "$end" "$stored" "$requests" "$BASE_RATE" \
        "${RUN_FLAGS:-}" "$WORK" <<'PY'
import collections, json, re, sys
n, rows, batch, latency, start, end, stored, requests, base, flags, work = sys.argv[1:12]
n, rows, seconds = int(n), int(rows), float(end) - float(start)
summaries = [json.load(open(f"{work}/worker.{i}.json")) for i in range(1, n + 1)]
retries = collections.Counter()
for i in range(1, n + 1):
    for log in open(f"{work}/worker.{i}.err", errors="replace"):
        if "retrying a transaction" in log:
            state = re.search(r"sqlstate=(\w+)", log)
            retries[state.group(1) if state else "?"] += 1
embedded = sum(s["embedded"] for s in summaries)
stored_rows, distinct = (int(v) for v in stored.split("|"))
rate = rows / seconds
speedup = rate / float(base) if base else (1.0 if n == 1 else None)
print(json.dumps({
    "bench": "workers", "workers": n, "rows": rows, "batch_size": int(batch), "run_flags": flags,
    "latency_s": float(latency),
    "seconds": round(seconds, 2), "rows_per_s": round(rate, 1),
    "speedup": None if speedup is None else round(speedup, 3),
    "efficiency": None if speedup is None else round(speedup / n, 3),
    "embedded_total": embedded, "embedded_per_worker": [s["embedded"] for s in summaries],
    "failed_total": sum(s["failed"] for s in summaries), "provider_requests": int(requests),
    "stored_rows": stored_rows, "transaction_retries": dict(retries),
    "worker_seconds": [round(s["duration_s"], 2) for s in summaries]}))
if embedded != rows or stored_rows != rows or distinct != rows:
    sys.exit(f"workers.sh: N={n}: the workers embedded {embedded} rows in all and the target holds {stored_rows} "
             f"({distinct} distinct ids), for {rows} rows: a row was embedded twice or left out")
PY
    ) || { echo "$line"; exit 1; }
    echo "$line"
    if [ "$n" = 1 ]; then
        BASE_RATE=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["rows_per_s"])' "$line")
    fi
done
