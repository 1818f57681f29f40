#!/usr/bin/env bash
# Sets everything up and runs every test: installs what is missing, starts a throwaway PostgreSQL with
# pgvector for the PostgreSQL tests, builds, runs `swift test`, and stops the server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --test
export VIRTUAL_ENV="$ROOT/.venv"
export EMBEDSYNC_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start)"
trap 'bash scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
swift build --build-tests
swift test --skip-build "$@"
