#!/usr/bin/env python3
"""Python tiktoken on the same corpus, one thread. Prints one JSON line.

Usage: tiktoken_bench.py RANKS_FILE CORPUS.json
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def main():
    ranks, corpus_path = sys.argv[1], sys.argv[2]
    cache = tempfile.mkdtemp()
    shutil.copy(ranks, os.path.join(cache, hashlib.sha1(URL.encode()).hexdigest()))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    import tiktoken
    import tiktoken.registry

    start = time.perf_counter()
    encoding = tiktoken.get_encoding("cl100k_base")
    load_ms = (time.perf_counter() - start) * 1000
    shutil.rmtree(cache)
    with open(corpus_path, encoding="utf-8") as handle:
        texts = json.load(handle)
    total_bytes = sum(len(t.encode()) for t in texts)

    encoding.encode_ordinary_batch(texts[:2000], num_threads=1)  # Warm-up.
    start = time.perf_counter()
    batch = encoding.encode_ordinary_batch(texts, num_threads=1)
    batch_s = time.perf_counter() - start
    tokens = sum(len(t) for t in batch)

    start = time.perf_counter()
    loop_tokens = 0
    for text in texts:
        loop_tokens += len(encoding.encode_ordinary(text))
    loop_s = time.perf_counter() - start

    print(json.dumps({
        "impl": "python-tiktoken " + tiktoken.__version__,
        "texts": len(texts), "tokens": tokens, "bytes": total_bytes,
        "batch_tokens_per_s": round(tokens / batch_s), "batch_mb_per_s": round(total_bytes / batch_s / 1e6, 2),
        "loop_tokens_per_s": round(loop_tokens / loop_s), "loop_mb_per_s": round(total_bytes / loop_s / 1e6, 2),
        "load_ms": round(load_ms, 1),
    }))


if __name__ == "__main__":
    main()
