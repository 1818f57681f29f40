#!/usr/bin/env python3
"""Compares per-text token ids from `embedsync-bpe-bench ... dump` with Python tiktoken.

Usage: verify_ids.py RANKS_FILE CORPUS.json SWIFT_IDS.json
Prints the number of texts compared and the first few mismatches; exits 1 on any mismatch.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile

URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"

ranks, corpus_path, ids_path = sys.argv[1:4]
cache = tempfile.mkdtemp()
shutil.copy(ranks, os.path.join(cache, hashlib.sha1(URL.encode()).hexdigest()))
os.environ["TIKTOKEN_CACHE_DIR"] = cache
import tiktoken  # noqa: E402

encoding = tiktoken.get_encoding("cl100k_base")
shutil.rmtree(cache)
texts = json.load(open(corpus_path, encoding="utf-8"))
ours = json.load(open(ids_path))
bad = [i for i, (t, o) in enumerate(zip(texts, ours)) if encoding.encode_ordinary(t) != o]
if len(ours) != len(texts):
    bad.append(-1)
print(f"compared {len(texts)} texts, {len(bad)} mismatches")
for i in bad[:5]:
    print(repr(texts[i][:200]))
sys.exit(1 if bad else 0)
