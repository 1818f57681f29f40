#!/usr/bin/env bash
# Checks the DocC catalogues against the built modules with the toolchain's `docc` (no swift-docc-plugin needed):
# extracts each module's public symbol graph from the debug build, converts its catalogue, and fails on a symbol or
# article link that does not resolve. Run after `swift build`; `make test` runs it. Output: .build/docs/<Module>.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$(uname)" = Linux ] && command -v docc >/dev/null \
    || { echo "docs.sh: no docc here (on macOS, Xcode builds the catalogues); not checked" >&2; exit 0; }
BIN="$(swift build --show-bin-path)"
# The C modules the Swift ones import (NIO's, the kernels, OpenBLAS), as the build saw them.
cflags=()
while IFS= read -r map; do
    cflags+=(-Xcc "-fmodule-map-file=$map")
done < <(ls "$BIN"/*.build/module.modulemap; echo "$ROOT/Sources/COpenBLAS/module.modulemap";
    find "$ROOT/.build/checkouts" -name module.modulemap)
status=0
for catalogue in Sources/*/*.docc; do
    module="$(basename "$(dirname "$catalogue")")"
    graphs="$(mktemp -d)"
    swift symbolgraph-extract -module-name "$module" -I "$BIN/Modules" -target "$(uname -m)-unknown-linux-gnu" \
        -minimum-access-level public -output-dir "$graphs" "${cflags[@]}"
    mkdir -p .build/docs
    converted=0
    log="$(docc convert "$catalogue" --additional-symbol-graph-dir "$graphs" --output-dir ".build/docs/$module" \
        --fallback-display-name "$module" --fallback-bundle-identifier "org.embedsync.$module" 2>&1)" || converted=$?
    rm -rf "$graphs"
    # A link in the catalogue's own pages (the module page, its articles) must resolve. Links in doc comments to
    # another module's symbols (``Embedder`` from EmbedSyncLocal) cannot in a one-module build, and are not checked.
    pages="$(find "$catalogue" -name '*.md' -exec basename {} .md \; | { grep -vx "$module" || true; } | paste -sd '|' -)"
    if [ "$converted" -ne 0 ]; then
        echo "docs.sh: docc could not convert $catalogue:"; echo "$log"; status=1
    elif broken="$(echo "$log" | grep -E "is ambiguous|error:|doesn't exist at '/$module(/($pages))?'")"; then
        echo "docs.sh: unresolved links in $catalogue:"; echo "$broken"; status=1
    fi
done
exit "$status"
