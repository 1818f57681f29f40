#!/usr/bin/env bash
# The main job on the embedded default: a SQLite table of real rows, embedded by the local model (no key, no network).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# The release binary, as users run it (the debug build embeds ~20x slower). Its first build compiles the
# dependencies with optimisation and takes several minutes; later ones are incremental.
swift build -c release --product embedsync >&2
BIN="$(swift build -c release --show-bin-path)/embedsync"
[ -n "$(apt-cache dumpavail 2>/dev/null | head -c 1)" ] || { [ "$(id -u)" = 0 ] && apt-get update -qq; } || true
python3 scripts/make_demo_db.py demo/packages.db "${DEMO_ROWS:-2000}"
export VIRTUAL_ENV="$ROOT/.venv"
TEMPLATE='{{name}}: {{summary}}
{{#section}}Section: {{section}}{{/section}}
{{description}}'
set -x
"$BIN" estimate --database demo/packages.db --table packages --template "$TEMPLATE"
"$BIN" run --database demo/packages.db --table packages --template "$TEMPLATE"
"$BIN" status --database demo/packages.db --table packages --template "$TEMPLATE"
"$BIN" search "compress files into an archive" -k 5 --database demo/packages.db --table packages --template "$TEMPLATE"
