"""bench/results/*.json in, bench/results/report.md + PNG charts out (the latest run of each kind, plus history).

    .venv/bin/python bench/report.py

Charts: items/s end to end vs the one-process loop (NER off/on, 1 vs 2 cores, before/after when the run had a
baseline), items/s per stage in the loop, stream latency CDFs, RSS over each stream run.  Every chart says the machine,
the load average and the command.  Earlier runs stay in results/ and feed the trend table.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs {model} / {platform.python_implementation()} {platform.python_version()}"


def load_all(kind: str) -> list[dict]:
    runs = [json.loads(p.read_text()) for p in sorted(RESULTS.glob(f"{kind}-*.json"))]
    return [_counted(run) for run in runs] if kind == "throughput" else runs


def _counted(run: dict) -> dict:
    """A throughput run written before its meta said ``ner_items``: then a run had at most ``--items`` entries, but
    a NER row given a larger ``--ner-items`` was divided by that (e.g. 500 entries over 13.15 s shown as 45.6/s):
    such rows are counted again over the entries they had."""
    cap = run["meta"].get("items")
    if "ner_items" in run["meta"] or not cap:
        return run
    for r in run["runs"]:
        if r.get("items", 0) > cap and r.get("wall_s"):
            r["items"], r["items_per_s"] = cap, cap / r["wall_s"]
    return run


def caption(ax, meta: dict, loads: list[float]) -> None:
    text = f"{machine()}; load avg {min(loads):.1f}-{max(loads):.1f}\n$ {meta['command']}  ({meta['time']})"
    ax.text(0, -0.22, text, transform=ax.transAxes, fontsize=7, va="top")


def throughput_chart(run: dict) -> tuple[str, list[str]]:
    rows = [r for r in run["runs"] if "wall_s" in r or r["name"].startswith("nlp")]
    names = [r["name"] for r in rows]
    rates = [r["items_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colors = ["#888" if n.startswith("loop") else "#c66" if "before" in n else "#36c" for n in names]
    ax.barh(names, rates, color=colors, label="end to end (start-up included)")
    for i, v in enumerate(rates):
        ax.text(v, i, f" {v:.0f}", va="center", fontsize=8)
    steady = [(i, r["steady_items_per_s"]) for i, r in enumerate(rows) if "steady_items_per_s" in r]
    if steady:  # runs since 2026-11-28 13:00 also read the output's timestamps
        ax.scatter(
            [v for _, v in steady], [i for i, _ in steady], marker="|", s=200, color="k", label="steady"
        )
        for i, v in steady:
            ax.text(v, i + 0.35, f"{v:.0f}", fontsize=7, ha="center")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xlabel(
        "items/s (wall clock; bars end to end incl. start-up, | steady: 5th-95th percentile output)"
    )
    ax.set_title("Drain throughput: pipeline vs one-process loop of the same stages")
    ax.invert_yaxis()
    loads = [r.get("load_before", 0) for r in rows if "load_before" in r] or [0]
    caption(ax, run["meta"], loads)
    fig.tight_layout()
    path = RESULTS / "throughput.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    table = [
        "| run | items | seconds | items/s | steady items/s | first output s | CPU s (pipeline process, not its "
        "enrich workers) | load before |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cpu = f"{r['cpu_s']:.1f}" if "cpu_s" in r else ""  # enrich workers not included
        secs = f"{r['wall_s']:.1f}" if "wall_s" in r else ""
        load = f"{r['load_before']:.1f}" if "load_before" in r else ""
        steady = f"{r['steady_items_per_s']:.1f}" if "steady_items_per_s" in r else ""
        first = f"{r['first_output_s']:.1f}" if "first_output_s" in r else ""
        table.append(
            f"| {r['name']} | {r['items']} | {secs} | {r['items_per_s']:.1f} | {steady} | {first} | {cpu} | {load} |"
        )
    return path.name, table


def stage_chart(run: dict) -> tuple[str, list[str]]:
    fig, ax = plt.subplots(figsize=(8, 4))
    loops = {r["name"]: r for r in run["runs"] if r["name"].startswith("loop")}
    columns = [name.removeprefix("loop ") for name in sorted(loops)]  # a --ner-items 0 run has no NER-on loop
    table = [
        "| stage | " + " | ".join(f"{c} items/CPU-s" for c in columns) + " |",
        "|---" * (1 + len(columns)) + "|",
    ]
    stages = [
        s
        for s in ("decode", "normalize", "dedup", "enrich", "cluster", "encode")
        if all(s in r["stages"] for r in loops.values())
    ]
    width = 0.4
    for k, (name, r) in enumerate(sorted(loops.items())):
        rates = [r["items"] / max(r["stages"][s], 1e-9) for s in stages]
        ax.bar([i + k * width for i in range(len(stages))], rates, width, label=name)
    for s in stages:
        cells = [f"{r['items'] / max(r['stages'][s], 1e-9):,.0f}" for _, r in sorted(loops.items())]
        table.append(f"| {s} | " + " | ".join(cells) + " |")
    ax.set_xticks([i + width / 2 for i in range(len(stages))], stages)
    ax.set_yscale("log")
    ax.set_ylabel("items per CPU-second (log)")
    ax.set_title("Per-stage cost in the one-process loop")
    ax.legend()
    caption(ax, run["meta"], [r.get("load_before", 0) for r in loops.values()])
    fig.tight_layout()
    path = RESULTS / "stages.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path.name, table


def stream_charts(run: dict) -> tuple[list[str], list[str]]:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    table = [
        "| NER | rate/s | partitions | out/sent | p50 s | p99 s | max s | CPU ms/record | peak RSS MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in run["runs"]:
        lat = sorted(x for _, x in r["latencies"])
        label = f"NER {'on' if r['ner'] else 'off'}, {r['rate']:.0f}/s, {r['partitions']} partitions, pool {r.get('enrich_processes', 'auto')}"
        if lat:
            ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], label=label)
        peak = max((m for _, m in r["rss"]), default=0)
        cpu = (
            f"{r['cpu_ms_per_record']:.1f}" if "cpu_ms_per_record" in r else "-"
        )  # (runs before it was measured)
        table.append(
            f"| {'on' if r['ner'] else 'off'} | {r['rate']:.0f} | {r['partitions']} | {r['received']}/{r['sent']} | "
            f"{r['p50_s']:.2f} | {r['p99_s']:.2f} | {r['max_s']:.2f} | {cpu} | {peak:.0f} | {r['load']:.1f} |"
        )
    ax.set_xscale("log")
    ax.set_xlabel("latency, produced -> readable on the output topic (s, log)")
    ax.set_ylabel("fraction of items")
    ax.set_title("Stream latency CDF")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    caption(ax, run["meta"], [r["load"] for r in run["runs"]])
    fig.tight_layout()
    cdf = RESULTS / "latency_cdf.png"
    fig.savefig(cdf, dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 4))
    for r in run["runs"]:
        if r["rss"]:
            ax.plot(
                [t for t, _ in r["rss"]],
                [m for _, m in r["rss"]],
                label=f"NER {'on' if r['ner'] else 'off'}, {r['rate']:.0f}/s",
            )
    ax.set_xlabel("seconds since the pipeline started")
    ax.set_ylabel("RSS MB (pipeline + enrich workers)")
    ax.set_title("Memory over each stream run")
    ax.legend(fontsize=8)
    caption(ax, run["meta"], [r["load"] for r in run["runs"]])
    fig.tight_layout()
    rss = RESULTS / "rss.png"
    fig.savefig(rss, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [cdf.name, rss.name], table


def trend(runs: list[dict]) -> list[str]:
    table = ["| run time | run | items/s | load before |", "|---|---|---|---|"]
    for run in runs:
        for r in run["runs"]:
            if r["name"].startswith("pipeline"):
                table.append(
                    f"| {run['meta']['time']} | {r['name']} | {r['items_per_s']:.1f} | {r.get('load_before', 0):.1f} |"
                )
    return table


def main() -> None:
    out = [
        "# Benchmark report",
        "",
        f"Machine: {machine()}. Generated by `make bench` (bench/run_all.py -> bench/report.py).",
        "",
    ]
    throughput = load_all("throughput")
    if throughput:
        last = throughput[-1]
        chart, table = throughput_chart(last)
        out += [
            "## Drain throughput",
            "",
            f"![throughput]({chart})",
            "",
            f"Command: `{last['meta']['command']}`",
            "",
            *table,
            "",
        ]
        chart, table = stage_chart(last)
        out += ["## Per-stage cost (one-process loop)", "", f"![stages]({chart})", "", *table, ""]
        out += ["## Trend (every throughput run kept in results/)", "", *trend(throughput), ""]
    stream = load_all("stream")
    if stream:
        last = stream[-1]
        charts, table = stream_charts(last)
        out += [
            "## Stream latency and memory",
            "",
            *(f"![{c}]({c})" for c in charts),
            "",
            f"Command: `{last['meta']['command']}`",
            "",
            *table,
            "",
        ]
        out += [
            "Earlier stream runs:",
            "",
            "| run time | NER | rate | partitions | p50 s | p99 s |",
            "|---|---|---|---|---|---|",
        ]
        for run in stream[:-1]:
            for r in run["runs"]:
                out.append(
                    f"| {run['meta']['time']} | {'on' if r['ner'] else 'off'} | {r['rate']:.0f} | {r['partitions']} | {r['p50_s']:.2f} | {r['p99_s']:.2f} |"
                )
        out.append("")
    (RESULTS / "report.md").write_text("\n".join(out))
    print(f"wrote {RESULTS / 'report.md'}")


if __name__ == "__main__":
    main()
