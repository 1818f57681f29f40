"""Search latency of a running `embedsync serve` over HTTP, and the server's memory.

Usage: python Benchmarks/serve_search.py BASE_URL --pid PID [--queries 300] [--k 10] [--where JSON]
Sends the queries one after another (each a different text, so no cache helps) to POST /v1/search and prints one JSON
object: rows searched (from /v1/status), p50/p90/p99 round-trip ms, the server's own median took_ms, and the server's
RSS and peak RSS (VmRSS/VmHWM from /proc/PID/status). Loopback only.
"""
import argparse
import json
import statistics
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("base_url")
parser.add_argument("--pid", type=int, required=True)
parser.add_argument("--queries", type=int, default=300)
parser.add_argument("--k", type=int, default=10)
parser.add_argument("--where", default=None, help='a structured filter, e.g. {"section": "utils"}')
args = parser.parse_args()
assert args.base_url.startswith(("http://127.", "http://localhost", "http://[::1]")), "loopback only"


def post(path, body):
    request = urllib.request.Request(
        args.base_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def memory():
    fields = {}
    with open(f"/proc/{args.pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


with urllib.request.urlopen(args.base_url + "/v1/status", timeout=600) as response:
    status = json.load(response)
words = ["library", "compress files", "network tool", "python module", "font", "game", "editor", "database",
         "image viewer", "kernel driver", "documentation", "music player", "scientific computing", "web server"]
body = {"k": args.k, "include_text": False}
if args.where:
    body["where"] = json.loads(args.where)
post("/v1/search", dict(body, query="warm up"))
round_trips, took = [], []
for number in range(args.queries):
    query = f"{words[number % len(words)]} {number}"
    started = time.perf_counter()
    answer = post("/v1/search", dict(body, query=query))
    round_trips.append(1000 * (time.perf_counter() - started))
    took.append(answer["took_ms"])
    assert len(answer["data"]) == args.k or args.where, answer
round_trips.sort()
rss = memory()
print(json.dumps({
    "rows": status.get("embedded"), "queries": args.queries, "k": args.k, "where": args.where,
    "p50_ms": round(round_trips[len(round_trips) // 2], 2),
    "p90_ms": round(round_trips[int(0.9 * len(round_trips))], 2),
    "p99_ms": round(round_trips[min(len(round_trips) - 1, int(0.99 * len(round_trips)))], 2),
    "server_took_ms_p50": round(statistics.median(took), 2),
    "rss_mb": rss.get("VmRSS"), "peak_rss_mb": rss.get("VmHWM"),
}))
