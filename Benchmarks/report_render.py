"""Renders docs/performance.md and its PNG plots from the raw records of one Benchmarks/report run (see report.py)."""
import os
import re
import shlex
import statistics
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ENGINES = [("embedsync run (local, fp32)", "EmbedSync fp32"), ("embedsync run (local, int8)", "EmbedSync int8"),
           ("ort", "ONNX Runtime fp32"), ("ort-int8", "ONNX Runtime int8"), ("st", "sentence-transformers")]


def commands(records, section):
    return list(dict.fromkeys(r["command"] for r in records if r["section"] == section and "command" in r))


def data(records, section):
    return [r["data"] for r in records if r["section"] == section and "data" in r]


def shell_lines(command, width=116):
    """A command as shell lines of at most `width` columns, continued with backslashes, indented for a code block."""
    lines, line = [], "   "
    for word in shlex.split(command):
        word = word if re.match(r"[A-Z_]+=", word) else shlex.quote(word)  # VAR=value as written
        if len(line) + 1 + len(word) > width and line.strip():
            lines.append(line + " \\")
            line = "       "
        line += " " + word
    return lines + [line]


def section_head(out, records, section, title, image, lead):
    out += [f"## {title}", "", textwrap.fill(lead, 120), ""]
    for r in records:
        if r["section"] == section and "error" in r:
            out += [f"**Failed:** `{r['command']}`: {r['error']}", ""]
    if image:
        out += [f"![{title}](performance/{image})", ""]
    shown = commands(records, section)
    if shown:
        out += ["Produced by:", ""] + [line for c in shown for line in shell_lines(c)] + [""]


def table(out, header, rows):
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows] + [""]


def save(fig, folder, name):
    fig.tight_layout()
    fig.savefig(os.path.join(folder, name), dpi=120)
    plt.close(fig)
    return name


def local(records, out, folder):
    rows = [d for d in data(records, "local") if "engine" in d and d.get("texts_per_s") is not None]
    measured = {}
    for d in rows:
        measured.setdefault((d["engine"], d["variant"]), []).append(d["texts_per_s"])
    rates = {key: round(statistics.median(values), 1) for key, values in measured.items()}
    image = None
    if rates:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        width = 0.8 / len(ENGINES)
        for i, (engine, label) in enumerate(ENGINES):
            values = [rates.get((engine, v), 0) for v in ("short", "long")]
            bars = ax.bar([x + (i - len(ENGINES) / 2 + 0.5) * width for x in (0, 1)], values, width, label=label)
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks([0, 1], ["short texts (name: synopsis)", "long texts (full description)"])
        ax.set_ylabel("texts per second")
        ax.set_title(f"Local model (all-MiniLM-L6-v2), {rows[0]['n']} Debian package texts")
        ax.legend(fontsize=8)
        image = save(fig, folder, "local-model.png")
    section_head(out, records, "local", "Local model: texts per second", image,
                 "`embedsync run --provider local` into SQLite (database included) next to ONNX Runtime (all graph "
                 "optimisations) and sentence-transformers encoding the same texts in memory, on 2 threads. Medians "
                 "over the repeats; ONNX Runtime fp32 runs in both the fp32 and the int8 commands, and its figure is "
                 "the median of all its measurements.")
    peaks = {(d["engine"], d["variant"]): d.get("peak_rss_mb") for d in rows if d.get("peak_rss_mb")}
    table(out, ["engine", "short texts/s", "long texts/s", "peak RSS short / long (MB)"],
          [[label, rates.get((e, "short")), rates.get((e, "long")),
            f"{peaks.get((e, 'short'), '')} / {peaks.get((e, 'long'), '')}" if (e, "short") in peaks else ""]
           for e, label in ENGINES if (e, "short") in rates or (e, "long") in rates])
    ratios = [("EmbedSync fp32 / ONNX Runtime fp32", ENGINES[0][0], "ort"),
              ("EmbedSync int8 / ONNX Runtime int8", ENGINES[1][0], "ort-int8"),
              ("EmbedSync fp32 / sentence-transformers", ENGINES[0][0], "st"),
              ("EmbedSync int8 / EmbedSync fp32", ENGINES[1][0], ENGINES[0][0])]
    table(out, ["ratio", "short", "long"],
          [[name] + [f"{rates[(a, v)] / rates[(b, v)]:.2f}×" if (a, v) in rates and (b, v) in rates else None
                     for v in ("short", "long")] for name, a, b in ratios])


def keepfresh(records, out, folder):
    rows = [d for d in data(records, "keepfresh") if "rows" in d]
    by = {(d["store"], d["command"], d["rows"]): d for d in rows}
    image = None
    if rows:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
        for store in sorted({d["store"] for d in rows}):
            for command, style in (("noop_run", "o-"), ("backfill", "s--")):
                points = sorted((n, by[(s, c, n)]) for s, c, n in by if s == store and c == command)
                if points:
                    label = f"{store}, {'no-op rerun' if command == 'noop_run' else 'backfill'}"
                    left.plot([n for n, _ in points], [d["seconds"] for _, d in points], style, label=label)
                    right.plot([n for n, _ in points], [d["peak_rss_mb"] for _, d in points], style, label=label)
        for ax, label in ((left, "wall seconds"), (right, "peak RSS (MB)")):
            ax.set_xscale("log")
            ax.set_xlabel("rows")
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
        left.set_yscale("log")
        right.set_ylim(bottom=0)
        fig.suptitle("Keep-fresh: backfill and no-op rerun vs rows (fake provider, 384-d)")
        image = save(fig, folder, "keepfresh.png")
    section_head(out, records, "keepfresh", "Keep-fresh: the no-op rerun", image,
                 "A table is backfilled through the fake provider, then `embedsync run` runs again with nothing to "
                 "do (it must embed 0 rows), then `estimate` and `status`: wall time and peak RSS (GNU time) of each.")
    commands_seen = ["backfill", "noop_run", "estimate", "status"]
    table(out, ["store", "rows"] + [f"{c} s / MB" for c in commands_seen],
          [[store, f"{n:,}"] + [f"{by[(store, c, n)]['seconds']} / {by[(store, c, n)]['peak_rss_mb']}"
                                if (store, c, n) in by else None for c in commands_seen]
           for store, n in sorted({(d["store"], d["rows"]) for d in rows})])


def ratelimit(records, out, folder):
    rows = data(records, "ratelimit")
    image = None
    if rows:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        labels = [f"{i + 1}. {d['budget']}" for i, d in enumerate(rows)]
        x = range(len(rows))
        for offset, key, label in ((-0.27, "achieved_pct", "achieved over the run"),
                                   (0, "busiest_pct", "busiest 10 s window"), (0.27, "quietest_pct", "quietest 10 s")):
            bars = ax.bar([i + offset for i in x], [d[key] for d in rows], 0.27, label=label)
            ax.bar_label(bars, fmt="%.1f", fontsize=7)
        ax.axhline(100, color="black", linewidth=1, linestyle="--", label="configured limit")
        ax.set_xticks(list(x), labels, fontsize=8)
        ax.set_ylabel("% of the configured limit")
        ax.set_ylim(0, max(125, max(d["busiest_pct"] for d in rows) + 20))
        ax.set_title("Rate limits, as the fake provider (300 ms away) saw them")
        ax.legend(fontsize=8, loc="upper center", ncol=4)
        image = save(fig, folder, "ratelimit.png")
    section_head(out, records, "ratelimit", "Rate limits: achieved vs configured", image,
                 "`embedsync run` against the fake provider 300 ms away, once per scenario; what the provider "
                 "received per minute over the run, and in its busiest and quietest 10 s windows (scaled to a "
                 "minute; a run shorter than 10 s shows its mean).")
    scenarios = list(dict.fromkeys(d["scenario"] for d in rows))
    out += [textwrap.fill(f"- S{i + 1}: {name}", 120, subsequent_indent="  ") for i, name in enumerate(scenarios)]
    out += ["", "Bars in the chart are numbered by the rows of this table.", ""] if scenarios else []
    table(out, ["#", "scenario", "budget", "limit/min", "achieved/min", "achieved", "busiest 10 s", "quietest 10 s"],
          [[f"{i + 1}.", f"S{scenarios.index(d['scenario']) + 1}", d["budget"], f"{d['limit']:,}",
            f"{d['achieved']:,}", f"{d['achieved_pct']}%", f"{d['busiest_pct']}%", f"{d['quietest_pct']}%"]
           for i, d in enumerate(rows)])


def workers(records, out, folder):
    rows = sorted(data(records, "workers"), key=lambda d: d["workers"])
    image = None
    if rows:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ns = [d["workers"] for d in rows]
        ax.plot(ns, ns, ":", color="gray", label="ideal: N×")
        ax.plot(ns, [0.8 * n for n in ns], "--", color="gray", label="target: 0.8·N×")
        ax.plot(ns, [d["speedup"] for d in rows], "o-", label="measured speedup (rows/s vs N=1)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("workers (embedsync run processes) on one table")
        ax.set_ylabel("throughput vs one worker")
        ax.set_title(f"Workers on one PostgreSQL table: {rows[0]['rows']:,} rows, batches of {rows[0]['batch_size']}, "
                     f"{rows[0]['latency_s'] * 1000:.0f} ms provider {rows[0].get('run_flags', '')}".strip(),
                     fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        image = save(fig, folder, "workers.png")
    section_head(out, records, "workers", "Workers vs throughput", image,
                 "N `embedsync run` processes started at once on one PostgreSQL table (rows shared through claims), "
                 "fake provider with a fixed latency, target reset before each N. The rows embedded, summed over the "
                 "workers' summaries, must equal the table's rows (the script fails otherwise). Target: at least "
                 "0.8·N× the throughput of one worker, up to what the machine serves: on 2 cores, PostgreSQL, the "
                 "fake provider and the workers share about 4,000 rows/s in batches of 100 (measured with 4 requests "
                 "in flight per worker, where 4 and 8 workers both reach it), so each worker keeps one in flight.")
    table(out, ["workers", "seconds", "rows/s", "speedup", "efficiency", "≥ 0.8·N?", "embedded (sum)", "per worker",
                "transactions retried"],
          [[d["workers"], d["seconds"], d["rows_per_s"], d["speedup"], d["efficiency"],
            None if d["efficiency"] is None else ("yes" if d["efficiency"] >= 0.8 else "**no**"),
            f"{d['embedded_total']:,}", ", ".join(map(str, d["embedded_per_worker"])),
            ", ".join(f"{k} × {v}" for k, v in d.get("transaction_retries", {}).items()) or "0"] for d in rows])


def search(records, out, folder):
    rows = sorted(data(records, "search"), key=lambda d: d["vectors"])
    image = None
    if rows:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        ns = [d["vectors"] for d in rows]
        ax.plot(ns, [d["scan_ms"] for d in rows], "o-", label="exact top-10 scan")
        ax.plot(ns, [d["memcpy_ms"] for d in rows], "s--", label="memcpy of the same bytes")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"vectors ({rows[0]['dims']}-d, float32)")
        ax.set_ylabel("milliseconds (median of 7)")
        ax.set_title("Exact search latency vs rows, in memory")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        image = save(fig, folder, "search.png")
    section_head(out, records, "search", "Search latency vs rows", image,
                 "`embedsync-bench search`: an exact top-10 scan of random unit vectors held in memory (the kernel "
                 "`search` and `serve` use), next to a memcpy of the same bytes (the memory-bandwidth bound).")
    table(out, ["vectors", "MB", "scan ms", "scan GB/s", "memcpy ms", "scan / memcpy"],
          [[f"{d['vectors']:,}", round(d["bytes"] / 1e6, 1), d["scan_ms"], d["scan_gb_s"], d["memcpy_ms"],
            d["scan_vs_memcpy"]] for d in rows])


def render(records, docs):
    """Writes DOCS/performance.md and DOCS/performance/*.png; returns the page's path."""
    folder = os.path.join(docs, "performance")
    os.makedirs(folder, exist_ok=True)
    meta = next((r["data"] for r in records if r["section"] == "meta"), {})
    out = ["# Performance", ""]
    if meta.get("quick"):
        out += ["> **Quick run** (`--quick`): small sizes, to check the script. These figures are not the project's "
                "numbers.", ""]
    out += [f"One run of `Benchmarks/report{' --quick' if meta.get('quick') else ''}`, {meta.get('date', '?')}: "
            f"{meta.get('cpu', '?')}, {meta.get('cores', '?')} cores ({meta.get('cpus', '?')} CPUs), "
            f"commit {meta.get('commit', '?')} on branch {meta.get('branch', '?')}, embedsync "
            f"{meta.get('embedsync', '?')} from {meta.get('bin', '?')}"
            f"{' (built from this checkout)' if meta.get('built_here') else ' (prebuilt, BIN; maybe another commit)'}; "
            f"load average before the run {meta.get('load_before', '?')}. The raw lines are in "
            "[performance/raw.jsonl](performance/raw.jsonl); `Benchmarks/report --from docs/performance/raw.jsonl` "
            "renders this page again from them. Each command below is shown as it ran, from the repository root."]
    out[-1] = textwrap.fill(out[-1], 120)
    out += [""]
    parts = [("local", "Local model: texts per second", local), ("keepfresh", "Keep-fresh: the no-op rerun", keepfresh),
             ("ratelimit", "Rate limits: achieved vs configured", ratelimit),
             ("workers", "Workers vs throughput", workers), ("search", "Search latency vs rows", search)]
    for section, title, part in parts:
        if any(r["section"] == section for r in records):
            part(records, out, folder)
        else:
            out += [f"## {title}", "", "Not run in this report (`--sections`).", ""]
    page = os.path.join(docs, "performance.md")
    with open(page, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")
    return page
