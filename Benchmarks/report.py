#!/usr/bin/env python3
"""Runs the benchmarks behind docs/performance.md once, keeps their raw JSON lines, and renders the page.

Called by Benchmarks/report, which sets BIN (the release binaries) and PERF_DIR; its header lists the options.
Each raw line is {"section", "command", "data"} (or "error" instead of "data" when the command failed); the first is
the run's "meta" line (date, machine, commit). `--from RAW` renders again from such a file without running anything.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import subprocess
import sys

import report_render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = ["local", "keepfresh", "ratelimit", "workers", "search"]
SIZES = {
    "quick": {"local_n": 100, "local_repeats": 1, "keepfresh_rows": [1000, 4000], "ratelimit": ["5", "600", "60000"],
              "workers": ["400", "0.05", "1,2,4"], "search": "10000,30000"},
    "full": {"local_n": 2000, "local_repeats": 3, "keepfresh_rows": [10000, 100000, 1000000],
             "ratelimit": ["60", "600", "60000"], "workers": ["24000", "0.3", "1,2,4,8"],
             "search": "10000,100000,1000000"},
}
RATE_HEADER = re.compile(r"^(?P<scenario>\S.*?): (?P<requests>\d+) requests, (?P<tokens>\d+) tokens in ")
RATE_BUDGET = re.compile(
    r"^\s+(?P<budget>requests|tokens)\s+limit\s+(?P<limit>\d+)/min\s+achieved\s+(?P<achieved>\d+)/min"
    r" \(\s*(?P<achieved_pct>[\d.]+)%\)\s+10 s windows: max\s+(?P<busiest>\d+)/min \(\s*(?P<busiest_pct>[\d.]+)%\),"
    r" min\s+(?P<quietest>\d+)/min \(\s*(?P<quietest_pct>[\d.]+)%\)")


def output(argv):
    """The first line a command prints, or '?' when it cannot run."""
    try:
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def meta(args, bin_dir):
    cpu = output(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"])
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    commit = output(["git", "rev-parse", "--short", "HEAD"]) + (" (with local changes)" if dirty else "")
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
            "cpus": os.cpu_count(),
            "cores": output(["sh", "-c", "lscpu -p=core,socket | grep -v '^#' | sort -u | wc -l"]),
            "commit": commit, "branch": output(["git", "rev-parse", "--abbrev-ref", "HEAD"]),
            "embedsync": output([os.path.join(bin_dir, "embedsync"), "--version"]), "bin": bin_dir,
            "built_here": os.environ.get("REPORT_BUILT") == "1",
            "quick": args.quick, "load_before": output(["cat", "/proc/loadavg"])}


def json_lines(stdout):
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                pass


def ratelimit_lines(stdout):
    """ratelimit.sh prints text: a line per scenario, then one per budget it limits."""
    scenario = None
    for line in stdout.splitlines():
        header, budget = RATE_HEADER.match(line), RATE_BUDGET.match(line)
        if header:
            scenario = header["scenario"]
        elif budget and scenario:
            data = {k: float(v) if "pct" in k else (v if k == "budget" else int(v))
                    for k, v in budget.groupdict().items()}
            yield dict(bench="ratelimit", scenario=scenario, line=line.strip(), **data)


class Run:
    def __init__(self, records, env_shown):
        self.records, self.env_shown, self.failed = records, env_shown, []

    def __call__(self, section, argv, env=None, parse=json_lines):
        """Runs one benchmark command from the repository root; its stderr passes through."""
        env = dict(self.env_shown, **(env or {}))
        command = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + shlex.join(argv)
        print(f"report: {command}", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(argv, cwd=ROOT, env=dict(os.environ, **env), stdout=subprocess.PIPE, text=True)
            stdout, status = done.stdout, done.returncode
        except OSError as error:
            stdout, status = "", str(error)
        count = 0
        for data in parse(stdout):
            self.records.append({"section": section, "command": command, "data": data})
            count += 1
        if status != 0 or count == 0:
            error = f"exit status {status}, {count} result lines" + (f"; last output: {stdout.strip()[-300:]}"
                                                                      if stdout.strip() else "")
            self.records.append({"section": section, "command": command, "error": error})
            self.failed.append(f"{section}: {command}: {error}")


def run_all(args):
    bin_dir = os.environ.get("BIN")
    if not bin_dir:
        sys.exit("report.py: BIN is not set; run it through Benchmarks/report")
    perf = os.environ.get("PERF_DIR", "/tmp/perf-anchors")
    size = SIZES["quick" if args.quick else "full"]
    records = [{"section": "meta", "data": meta(args, bin_dir)}]
    run = Run(records, {"BIN": bin_dir})
    sections = args.sections.split(",")
    if "local" in sections:
        for precision, engines in (("fp32", "ort,st"), ("int8", "ort-int8,ort")):
            for variant in ("short", "long"):
                run("local", ["python3", "Benchmarks/run_bench.py", "--embedsync", os.path.join(bin_dir, "embedsync"),
                              "--n", str(size["local_n"]), "--variant", variant, "--repeats",
                              str(size["local_repeats"]), "--precision", precision, "--engines", engines],
                    env={"VIRTUAL_ENV": os.path.join(ROOT, ".venv"), "PERF_DIR": perf})
    if "keepfresh" in sections:
        if not os.path.exists(os.path.join(ROOT, "Benchmarks", "keepfresh.sh")):
            error = "Benchmarks/keepfresh.sh is not in this checkout"
            records.append({"section": "keepfresh", "command": "Benchmarks/keepfresh.sh", "error": error})
            run.failed.append(f"keepfresh: {error}")
        else:
            for store in ["sqlite"] + (["postgres"] if args.postgres else []):
                for rows in size["keepfresh_rows"]:
                    run("keepfresh", ["bash", "Benchmarks/keepfresh.sh", str(rows), store, "384"])
    if "ratelimit" in sections:
        run("ratelimit", ["bash", "Benchmarks/ratelimit.sh"] + size["ratelimit"], parse=ratelimit_lines)
    if "workers" in sections:
        # One request in flight per worker: eight workers then need about 2,700 rows/s, within what this 2-core
        # machine serves while it also runs PostgreSQL and the fake provider (about 4,000 rows/s in batches of 100).
        run("workers", ["bash", "Benchmarks/workers.sh"] + size["workers"],
            env={"BATCH": "100", "RUN_FLAGS": "--concurrency 1"})
    if "search" in sections:
        run("search", ["bash", "Benchmarks/search.sh", "--sizes", size["search"]])
    return records, run.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds-long runs")
    parser.add_argument("--postgres", action="store_true", help="keep-fresh on PostgreSQL too")
    parser.add_argument("--from", dest="source", metavar="RAW", help="render again from a raw.jsonl; run nothing")
    parser.add_argument("--out", default=os.path.join(ROOT, "docs"), help="folder of performance.md (default docs)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="a comma-separated subset of the default")
    args = parser.parse_args()
    unknown = set(args.sections.split(",")) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    images = os.path.join(args.out, "performance")
    os.makedirs(images, exist_ok=True)
    failed = []
    if args.source:
        with open(args.source) as f:
            records = [json.loads(line) for line in f if line.strip()]
    else:
        records, failed = run_all(args)
        raw = os.path.join(images, "raw.jsonl")
        with open(raw, "w") as f:
            f.writelines(json.dumps(record) + "\n" for record in records)
        print(f"report: raw lines in {raw}", file=sys.stderr)
    page = report_render.render(records, args.out)
    print(f"report: wrote {page}", file=sys.stderr)
    if failed:
        sys.exit("report: these commands failed (their sections say so):\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
