#!/usr/bin/env bash
# Vectors written per second to SQLite, PostgreSQL (pgvector) and libSQL (sqld over Hrana HTTP), 384-d and 1536-d,
# through the stores' batch commit.
# Usage: [BIN=DIR] Benchmarks/write.sh [ROWS]   (starts the project's throwaway PostgreSQL and sqld if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-20000}
url=$(bash scripts/postgres.sh start)
libsql=$(bash scripts/sqld.sh start)
LIBSQL_AUTH_TOKEN=$(cat "$(bash scripts/sqld.sh tokens)/rw")
export LIBSQL_AUTH_TOKEN
for d in 384 1536; do
    bash scripts/postgres.sh psql -c "DROP TABLE IF EXISTS bench_items_${d}_embeddings; DROP TABLE IF EXISTS bench_items_$d; CREATE TABLE bench_items_$d (id bigint PRIMARY KEY, body text); INSERT INTO bench_items_$d SELECT g, 'row ' || g FROM generate_series(1, $rows) g;" >/dev/null
done
SCRATCH=${SCRATCH:-$(pwd)/.build}   # the build folder (--scratch-path)
if [ -z "${BIN:-}" ]; then   # BIN=DIR: use the prebuilt embedsync-bench in DIR instead of building
    swift build -c release --scratch-path "$SCRATCH" --product embedsync-bench >&2
    BIN="$SCRATCH/release"
fi
"$BIN/embedsync-bench" write --rows "$rows" --postgres "$url" --libsql "$libsql"
