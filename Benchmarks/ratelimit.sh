#!/usr/bin/env bash
# Client-side rate limits, measured where the provider sees them: `embedsync run` (release build) against the fake
# provider 300 ms away, once per scenario, each sized to last about SECONDS. Prints, per scenario, the configured
# limit, what the provider received per minute over the whole run, and the busiest and quietest 10 s window
# (scaled to a minute). The last scenario sets no flag: the fake provider reports the limits in OpenAI's
# x-ratelimit-* headers and the run paces to them.
# Usage: [BIN=DIR] Benchmarks/ratelimit.sh [SECONDS=60] [RPM=600] [TPM=60000]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-60}
RPM=${2:-600}
TPM=${3:-60000}
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt binaries in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
    swift build -c release --scratch-path "$SCRATCH" --product embedsync-fake-provider >&2
    BIN="$SCRATCH/release"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/embedsync-ratelimit.XXXXXX")
FAKE_PID=
cleanup() { [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# A fresh database of ROWS rows of WORDS words: the fake provider bills WORDS + 1 tokens a row.
make_db() {
    rm -f "$WORK"/bench.db*
    python3 - "$WORK/bench.db" "$1" "$2" <<'PY'
import sqlite3, sys
path, rows, words = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = sqlite3.connect(path)
db.execute("DROP TABLE IF EXISTS items")
db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
db.executemany("INSERT INTO items VALUES (?, ?)",
               ((i, " ".join(f"w{i}x{j}" for j in range(words))) for i in range(1, rows + 1)))
db.commit()
PY
}

# scenario NAME BUDGETS(requests,tokens) ROWS WORDS "FAKE PROVIDER FLAGS" EMBEDSYNC FLAGS...
scenario() {
    local name=$1 budgets=$2 rows=$3 words=$4 fake_flags=$5
    shift 5
    make_db "$rows" "$words"
    # shellcheck disable=SC2086
    "$BIN/embedsync-fake-provider" --dimensions 16 --latency 0.3 $fake_flags > "$WORK/url" &
    FAKE_PID=$!
    for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.1; done
    local url
    url=$(head -1 "$WORK/url")
    "$BIN/embedsync" run --database "$WORK/bench.db" --table items --template '{{body}}' \
        --provider openai-compatible --model fake-embed --dimensions 16 --base-url "$url" --json --quiet "$@" \
        > "$WORK/run.json"
    curl -s "$url/stats" > "$WORK/stats.json"
    kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
    python3 - "$name" "$RPM" "$TPM" "$WORK/stats.json" "$WORK/run.json" "$budgets" <<'PY'
import json, sys
name, rpm, tpm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
arrivals = json.load(open(sys.argv[4]))["arrivals"]
run = json.load(open(sys.argv[5]))
budgets = sys.argv[6].split(",")
times = [a[0] for a in arrivals]
span = times[-1] - times[0]
def windows(value, seconds=10.0):
    """Totals of every window of `seconds` starting at an arrival and lying inside the run."""
    totals = []
    for i, start in enumerate(times):
        if start + seconds > times[-1]:
            break
        totals.append(sum(value(a) for a in arrivals[i:] if a[0] < start + seconds))
    return totals
print(f"{name}: {len(arrivals)} requests, {sum(a[2] for a in arrivals)} tokens in {span:.1f} s "
      f"(run: {run['embedded']} rows embedded, duration_s {run['duration_s']:.1f})")
for label, limit, value in (("requests", rpm, lambda a: 1), ("tokens", tpm, lambda a: a[2])):
    if label not in budgets:
        continue
    total = sum(value(a) for a in arrivals[:-1])  # the last request starts the interval the run ends in
    per_minute = total / span * 60
    tens = windows(value) or [total * 10 / span]  # a run shorter than 10 s: its mean
    busiest, quietest = max(tens) * 6, min(tens) * 6
    print(f"  {label:8} limit {limit:>7}/min  achieved {per_minute:9.0f}/min ({per_minute / limit:6.1%})  "
          f"10 s windows: max {busiest:7.0f}/min ({busiest / limit:6.1%}), min {quietest:7.0f}/min "
          f"({quietest / limit:6.1%})")
PY
}

# The rows each scenario needs to last SECONDS_PER_RUN at the binding limit (rows of 20 words: 21 tokens).
REQUEST_ROWS=$((RPM * SECONDS_PER_RUN / 60))
TOKEN_ROWS=$((TPM * SECONDS_PER_RUN / 60 / 21))
scenario "--requests-per-minute $RPM (batch size 1)" requests "$REQUEST_ROWS" 20 "" \
    --batch-size 1 --requests-per-minute "$RPM"
scenario "--tokens-per-minute $TPM" tokens "$TOKEN_ROWS" 20 "" --tokens-per-minute "$TPM"
scenario "both flags (batch size 5)" requests,tokens "$TOKEN_ROWS" 20 "" \
    --batch-size 5 --requests-per-minute "$RPM" --tokens-per-minute "$TPM"
scenario "no flags; the provider reports $RPM rpm and $TPM tpm in x-ratelimit headers (batch size 5)" \
    requests,tokens "$TOKEN_ROWS" 20 "--limit-requests $RPM --limit-tokens $TPM" --batch-size 5
