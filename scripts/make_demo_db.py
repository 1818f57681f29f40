#!/usr/bin/env python3
"""Builds a demo SQLite table of real text nobody on the team wrote: Debian package descriptions.

Usage: make_demo_db.py PATH [N]   — N rows (default 2000) from `apt-cache dumpavail`, table `packages`
(id, name, section, summary, description). Rewrites PATH if it exists.
"""
import os
import sqlite3
import subprocess
import sys


def packages():
    text = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    for stanza in text.split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith(" ") and key == "Description":
                fields["Description"] += "\n" + (line[1:] if line.strip() != "." else "")
            elif ":" in line and not line.startswith(" "):
                key, _, value = line.partition(":")
                fields[key] = value.strip()
            else:
                key = None
        if "Package" in fields and "Description" in fields:
            yield fields


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seen, rows = set(), []
    for fields in packages():
        name = fields["Package"]
        if name in seen:
            continue
        seen.add(name)
        summary, _, body = fields["Description"].partition("\n")
        rows.append((name, fields.get("Section"), summary, body.strip() or None))
    rows.sort()
    if not rows:
        sys.exit("apt-cache dumpavail printed no packages: run `apt-get update` first.")
    rows = rows[:limit]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE packages (id INTEGER PRIMARY KEY, name TEXT NOT NULL, section TEXT, summary TEXT, description TEXT)")
    db.executemany("INSERT INTO packages (name, section, summary, description) VALUES (?, ?, ?, ?)", rows)
    db.commit()
    print(f"{path}: {len(rows)} packages")


if __name__ == "__main__":
    main()
