#!/usr/bin/env python3
"""Writes the benchmark corpus: a JSON array of texts, one per Debian package.

Uses $PERF_DIR/debian_packages.jsonl when present (rows with name, section, description),
else `apt-cache dumpavail` records. Usage: make_corpus.py OUT.json
"""
import json
import os
import subprocess
import sys

SOURCE = os.path.join(os.environ.get("PERF_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "perf-anchors")), "debian_packages.jsonl")


def texts():
    if os.path.exists(SOURCE):
        with open(SOURCE, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                yield (f"Package: {row.get('name', '')}\nSection: {row.get('section', '')}\n"
                       f"Description: {row.get('description', '')}")
        return
    dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    yield from (record for record in dump.split("\n\n") if record.strip())


if __name__ == "__main__":
    corpus = list(texts())
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(corpus, out, ensure_ascii=False)
    print(f"{len(corpus)} texts, {sum(len(t.encode()) for t in corpus)} bytes", file=sys.stderr)
