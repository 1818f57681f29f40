#!/usr/bin/env python3
"""`embedsync run` with the local model over real rows, next to ONNX Runtime and sentence-transformers on the same texts.

Usage: run_bench.py --embedsync BIN --variant short|long --n N [--engines ort,st] [--repeats 1] [--precision fp32]
(engines: ort = ONNX Runtime fp32, ort-int8 = its dynamic int8, st = sentence-transformers)
Env: PERF_DIR (made by ../shared/bench/setup.sh: venv with the reference engines + debian_packages.jsonl), SHARED_BENCH.
Prints one JSON line per measurement and a final line with the ratios. Peak memory is the child's max RSS.
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--embedsync", required=True)
parser.add_argument("--variant", default="short", choices=["short", "long"])
parser.add_argument("--n", type=int, default=10000)
parser.add_argument("--engines", default="ort,st")
parser.add_argument("--repeats", type=int, default=1)
parser.add_argument("--precision", default="fp32", choices=["fp32", "int8"])
args = parser.parse_args()

perf = os.environ.get("PERF_DIR", os.path.join(os.environ.get("TMPDIR", "/tmp"), "perf-anchors"))
shared = os.environ.get("SHARED_BENCH", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
corpus = os.path.join(perf, "debian_packages.jsonl")
rows = []
with open(corpus, encoding="utf-8") as f:
    for line in f:
        rows.append(json.loads(line))
        if len(rows) >= args.n:
            break


def text(row):
    synopsis = row["description"].split("\n", 1)[0]
    return f"{row['name']}: {synopsis}" if args.variant == "short" else row["description"]


def ours():
    folder = tempfile.mkdtemp(prefix="embedsync-run-bench-")
    db = os.path.join(folder, "bench.db")
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT)")
    connection.executemany("INSERT INTO docs VALUES (?, ?)", [(i + 1, text(r)) for i, r in enumerate(rows)])
    connection.commit()
    connection.close()
    start = time.perf_counter()
    out_path, err_path = os.path.join(folder, "out.json"), os.path.join(folder, "err.txt")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(
            [args.embedsync, "run", "--database", db, "--table", "docs", "--template", "{{{body}}}", "--json", "--quiet",
             "--precision", args.precision],
            stdout=out, stderr=err)
        # wait4 gives this child's own peak; RUSAGE_CHILDREN would include the reference engines run before it.
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        sys.exit(f"embedsync failed: {open(err_path).read()}")
    summary = json.load(open(out_path))
    shutil.rmtree(folder)
    peak_rss_mb = round(usage.ru_maxrss / 1024, 1)
    return {"engine": f"embedsync run (local, {args.precision})", "variant": args.variant, "n": len(rows), "embedded": summary["embedded"],
            "seconds": round(elapsed, 2), "texts_per_s": round(summary["embedded"] / elapsed, 1),
            "tokens": summary["tokens"], "peak_rss_mb": peak_rss_mb}


def reference(engine):
    python = os.path.join(perf, "venv", "bin", "python")
    command = [python, os.path.join(shared, "bench.py"), "--engine", engine.split("-")[0], "--variant", args.variant,
               "--n", str(len(rows))]
    if engine.startswith("ort"):
        command += ["--opt", "all", "--model", "int8" if engine == "ort-int8" else "fp32"]
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               CORPUS=corpus, PERF_DIR=perf)
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=shared)
    line = [l for l in result.stdout.splitlines() if l.startswith("RESULT ")]
    if not line:
        sys.exit(f"{engine} failed: {result.stderr[-2000:]}")
    data = json.loads(line[-1][len("RESULT "):])
    return {"engine": engine, "variant": args.variant, "n": len(rows), "texts_per_s": data.get("texts_per_s")}


results = {}
for repeat in range(args.repeats):
    measured = ours()
    print(json.dumps(measured), flush=True)
    results.setdefault("ours", []).append(measured["texts_per_s"])
    for engine in [e for e in args.engines.split(",") if e]:
        measured = reference(engine)
        print(json.dumps(measured), flush=True)
        results.setdefault(engine, []).append(measured["texts_per_s"])
median = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
print(json.dumps({"ratios": {k: round(median["ours"] / v, 2) for k, v in median.items() if k != "ours"}, "medians": median}))
