#!/usr/bin/env bash
# `embedsync serve` from outside, release build, local model:
#  1. search latency over HTTP and the server's RSS with ROWS (default 100000) embedded rows held in memory;
#  2. 32 concurrent clients posting batches of 16 texts for 30 s, against `embedsync run --batch-size 16` on the same
#     kind of texts in the same session (texts/s, and the ratio).
# Usage: [SCRATCH=DIR | BIN=DIR] Benchmarks/serve.sh [ROWS]
# (needs `apt-get update` done for the package texts; writes under .build/bench; BIN: prebuilt binaries, no build)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
dir=.build/bench/serve
mkdir -p "$dir"
py=.venv/bin/python
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path), e.g. one kept apart from debug builds
if [ -n "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt embedsync in DIR instead of building
    bin="$BIN/embedsync"
else
    swift build -c release --scratch-path "$SCRATCH" --product embedsync >&2
    bin="$SCRATCH/release/embedsync"
fi

# 1. A table of ROWS package summaries (repeated with a suffix past the ~64k Debian has), embedded once.
db="$dir/search$rows.db"
if [ ! -s "$db" ] || [ "$("$py" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from packages_embeddings').fetchone()[0])" "$db" 2>/dev/null || echo 0)" != "$rows" ]; then
    "$py" scripts/make_demo_db.py "$dir/base.db" 1000000 >&2
    "$py" - "$dir/base.db" "$db" "$rows" <<'PY'
import os, sqlite3, sys
base, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = sqlite3.connect(base).execute("SELECT name, section, summary FROM packages").fetchall()
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path)
db.execute("CREATE TABLE packages (id INTEGER PRIMARY KEY, name TEXT NOT NULL, section TEXT, summary TEXT)")
db.executemany("INSERT INTO packages (name, section, summary) VALUES (?, ?, ?)",
               [(name + (f" ({i // len(rows)})" if i >= len(rows) else ""), section, summary)
                for i, (name, section, summary) in ((i, rows[i % len(rows)]) for i in range(n))])
db.commit()
PY
    "$bin" run --database "$db" --table packages --template '{{name}}: {{summary}}' --json >"$dir/embed.json"
fi
port_file="$dir/port"
"$bin" serve --database "$db" --table packages --template '{{name}}: {{summary}}' --port 0 >"$port_file" 2>"$dir/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q listening "$port_file" 2>/dev/null && break; sleep 0.5; done
url=$(sed -n 's/^listening on //p' "$port_file")
echo "search, $rows rows:" >&2
"$py" Benchmarks/serve_search.py "$url" --pid "$pid"
"$py" Benchmarks/serve_search.py "$url" --pid "$pid" --where '{"section": "utils"}' --queries 100
kill -TERM $pid; wait $pid || true

# 2. Throughput: the server under 32 clients vs `embedsync run` on the same kind of texts, batches of 16.
load="$dir/load.db"
"$py" - "$load" <<'PY'
import os, sqlite3, sys
path = sys.argv[1]
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path)
db.execute("CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT)")
db.executemany("INSERT INTO texts (body) VALUES (?)",
               [(f"client {i % 32} request {i // 512} text {i % 16}: a short product description",) for i in range(8000)])
db.commit()
PY
echo "embedsync run, batches of 16:" >&2
"$bin" run --database "$load" --table texts --template '{{body}}' --batch-size 16 --json | tee "$dir/run.json"
"$bin" serve --database "$load" --table texts --template '{{body}}' --port 0 >"$port_file" 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 600); do grep -q listening "$port_file" 2>/dev/null && break; sleep 0.5; done
url=$(sed -n 's/^listening on //p' "$port_file")
echo "serve, 32 clients x 30 s, batches of 16:" >&2
"$py" Benchmarks/serve_load.py "$url" --clients 32 --seconds 30 --batch 16 | tee "$dir/load.json"
"$py" - "$dir/run.json" "$dir/load.json" <<'PY'
import json, sys
run, load = (json.load(open(p)) for p in sys.argv[1:3])
run_rate = run["embedded"] / run["duration_s"]
print(json.dumps({"run_texts_per_s": round(run_rate, 1), "serve_texts_per_s": load["texts_per_s"],
                  "serve_vs_run": round(load["texts_per_s"] / run_rate, 3)}))
PY
