"""Load test for `embedsync serve`: C concurrent clients post batches of B texts to /v1/embeddings for S seconds.

Usage: python Benchmarks/serve_load.py BASE_URL [--clients 32] [--seconds 30] [--batch 16] [--model NAME]
Prints one JSON object: requests, texts, errors, texts_per_s, p50_ms, p99_ms. Loopback only; stops by itself.
"""
import argparse
import json
import threading
import time
import urllib.error
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("base_url")
parser.add_argument("--clients", type=int, default=32)
parser.add_argument("--seconds", type=float, default=30)
parser.add_argument("--batch", type=int, default=16)
parser.add_argument("--model", default="all-MiniLM-L6-v2")
args = parser.parse_args()
assert args.base_url.startswith(("http://127.", "http://localhost", "http://[::1]")), "loopback only"

latencies, errors, lock = [], [], threading.Lock()
deadline = time.monotonic() + args.seconds


def client(number):
    sent = 0
    while time.monotonic() < deadline:
        texts = [f"client {number} request {sent} text {i}: a short product description" for i in range(args.batch)]
        body = json.dumps({"model": args.model, "input": texts, "encoding_format": "base64"}).encode()
        request = urllib.request.Request(
            args.base_url + "/v1/embeddings", data=body, headers={"Content-Type": "application/json"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                data = json.load(response)
                assert len(data["data"]) == args.batch
            with lock:
                latencies.append(time.monotonic() - started)
        except (urllib.error.URLError, AssertionError, OSError) as error:
            with lock:
                errors.append(str(error))
        sent += 1


started = time.monotonic()
threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
latencies.sort()


def percentile(p):
    return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else None


print(json.dumps({
    "clients": args.clients, "batch": args.batch, "seconds": round(elapsed, 1), "requests": len(latencies),
    "texts": len(latencies) * args.batch, "errors": len(errors), "first_error": errors[0] if errors else None,
    "texts_per_s": round(len(latencies) * args.batch / elapsed, 1), "p50_ms": percentile(0.5),
    "p99_ms": percentile(0.99),
}))
