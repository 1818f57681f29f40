#!/usr/bin/env bash
# Sets everything up and runs every test: installs what is missing, starts a throwaway PostgreSQL with
# pgvector for the PostgreSQL tests and a throwaway sqld (libSQL) with JWT auth for the libSQL tests, builds, runs `swift test`, and stops the server.
# On failure the failing tests' lines are repeated at the end, where a truncated log still shows them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --test
export VIRTUAL_ENV="$ROOT/.venv"
export EMBEDSYNC_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start)"
export EMBEDSYNC_TEST_LIBSQL_URL="$(bash scripts/sqld.sh start)"
export EMBEDSYNC_TEST_LIBSQL_TOKENS="$(bash scripts/sqld.sh tokens)"
LOG="$(mktemp)"
trap 'bash scripts/postgres.sh stop >/dev/null 2>&1 || true; bash scripts/sqld.sh stop >/dev/null 2>&1 || true; rm -f "$LOG"' EXIT
# The formatter's lint: the tree stays as `swift format -i -r Sources Tests Benchmarks Examples Package.swift` leaves it,
# and no line passes 120 columns (the formatter cannot break long string literals, so that is checked here).
swift format lint --strict -r -p Sources Tests Benchmarks Examples Package.swift
if long="$(grep -rn --include='*.swift' '.\{121,\}' Sources Tests Benchmarks Examples Package.swift)"; then
    echo "Lines over 120 columns:"; echo "$long" | head -20; exit 1
fi
if big="$(find Sources Tests Benchmarks Examples -name '*.swift' -exec wc -l {} + | awk '$2 != "total" && $1 > 300')"; then
    [ -z "$big" ] || { echo "Source files over 300 lines (split them by feature):"; echo "$big"; exit 1; }
fi
swift build --build-tests
bash scripts/docs.sh
# `make install` writes the binary, three completions and a man page; `make uninstall` removes them (checked with the
# debug binary in a throwaway prefix, so no release build is needed here).
prefix="$(mktemp -d)"
make -s install-files BIN="$(swift build --show-bin-path)/embedsync" PREFIX="$prefix" >/dev/null
for file in bin/embedsync share/bash-completion/completions/embedsync share/zsh/site-functions/_embedsync \
    share/fish/vendor_completions.d/embedsync.fish share/man/man1/embedsync.1; do
    [ -s "$prefix/$file" ] || { echo "make install did not write $file"; exit 1; }
done
"$prefix/bin/embedsync" --version >/dev/null
make -s uninstall PREFIX="$prefix"
[ -z "$(find "$prefix" -type f)" ] || { echo "make uninstall left files behind:"; find "$prefix" -type f; exit 1; }
rm -rf "$prefix"
# The tests' temporary folders (databases, model copies of ~90 MB, fake servers' files) go in one folder of this run,
# removed when every test passed and kept for a look when one failed.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/embedsync-tests.XXXXXX")"
status=0
TMPDIR="$scratch" swift test --skip-build "$@" 2>&1 | tee "$LOG" || status=$?
if [ "$status" -eq 0 ]; then
    rm -rf "$scratch"
else
    echo "---- failing tests (repeated from above) ----"
    grep -E '✘|recorded an issue|error:|Fatal error|Expectation failed' "$LOG" | grep -v '^✘ Test run with' | head -60 || true
    grep -E '^✘ Test run with' "$LOG" || true
    echo "The tests' temporary files are kept in $scratch"
fi
exit "$status"
