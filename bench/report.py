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
        "| NER | rate/s | partitions | out/sent | p50 s | p99 s | max s | CPU ms/record | peak RSS MB | load | stage pool |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
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
            f"{r['p50_s']:.2f} | {r['p99_s']:.2f} | {r['max_s']:.2f} | {cpu} | {peak:.0f} | {r['load']:.1f} | "
            f"{r.get('pool_choice') or r.get('enrich_processes', '-')} |"  # what the run said it chose, when recorded
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


# Issue 15's goals.  Drain: end to end over the loop NER off and over two processes of ``nlp.pipe`` NER on, and
# items/s NER off.  Stream, NER off / on, 10 items/s on >= 4 partitions: p50 and p99 below these (s).  "Latency
# independent of the partition count": p50 on 1 partition and on the most (>= 4), in one stream run, this close (s).
DRAIN_RATIO, DRAIN_RATE, NER_RATIO = 1.5, 600.0, 0.85
STREAM = {False: (0.5, 1.5), True: (1.0, 3.0)}
SAME_P50_S = 0.1


def _verdict(oks: list[bool], of: str = "runs") -> str:
    if not oks:
        return "not measured"
    return "met" if all(oks) else "not met" if not any(oks) else f"met in {sum(oks)} of {len(oks)} {of}"


def _cells(values: list[float], fmt: str) -> str:
    return ", ".join(fmt.format(v) for v in values) or "-"


def _reference(row: dict, reference: float) -> float:
    """The rate a run is judged against: the mean of its reference measured right before and right after it (a
    bracketed run), else the run's single reference measured once at its start (runs before bracketing)."""
    if "reference_before" in row and "reference_after" in row:
        return (row["reference_before"] + row["reference_after"]) / 2
    return reference


def _ratio_row(goal: str, target: float, rows: list[dict], reference: float) -> str:
    ratios = [r["items_per_s"] / _reference(r, reference) for r in rows]
    steady = [r["steady_items_per_s"] / _reference(r, reference) for r in rows if "steady_items_per_s" in r]
    bracketed = [r for r in rows if "reference_before" in r]
    refs = (
        "; references "
        + ", ".join(f"{r['reference_before']:.1f} / {r['reference_after']:.1f}/s" for r in bracketed)
        if bracketed
        else ""
    )
    return (
        f"| {goal} | >= {target}x | {_cells(ratios, '{:.2f}x')} (steady {_cells(steady, '{:.2f}x')}{refs}) | "
        f"{_verdict([x >= target for x in ratios])} |"
    )


def drain_goals(run: dict | None) -> list[str]:
    """Rows for the drain goals, from one throughput run (each ratio within it): a cell per repetition of the
    configuration with enrich workers (the 2-core one)."""
    rows = run["runs"] if run else []
    named = {r["name"]: r["items_per_s"] for r in rows if not r["name"].startswith("pipeline")}

    def with_pool(ner: str) -> list[dict]:  # this tree's runs with enrich workers, NER "on" or "off"
        prefix = f"pipeline after NER {ner},"
        return [
            r for r in rows if r["name"].startswith(prefix) and not r["name"].endswith(" 0 enrich workers")
        ]

    out = []
    if "loop NER off" in named:
        out.append(
            _ratio_row(
                "drain NER off, end to end / one-process loop",
                DRAIN_RATIO,
                with_pool("off"),
                named["loop NER off"],
            )
        )
    rates = [r["items_per_s"] for r in with_pool("off")]
    out.append(
        f"| drain NER off, end to end | >= {DRAIN_RATE:.0f} items/s | {_cells(rates, '{:.1f}/s')} | "
        f"{_verdict([x >= DRAIN_RATE for x in rates])} |"
    )
    if "nlp.pipe two processes" in named:
        out.append(
            _ratio_row(
                "drain NER on / two processes of `nlp.pipe`",
                NER_RATIO,
                with_pool("on"),
                named["nlp.pipe two processes"],
            )
        )
    return out


def stream_goals(streams: list[dict]) -> list[str]:
    """Rows for the stream goals: each case (NER, rate, partitions) as last measured, every repeat of it in that
    stream run (runs oldest first)."""
    # each case's runs in the latest stream run that has it
    latest: dict[tuple[bool, float, int], list[dict]] = {}
    # p50 on 1 and on the most partitions within one stream run, each the mean over that run's repeats of the count
    # (bench_stream.py's default order 1,4,4,1 runs each count once first and once second: whichever runs second
    # inherits the first's load, and at 200 items/s that order alone moved p50 by 0.4-1.8 s)
    pairs: dict[tuple[bool, float], tuple[float, float, int]] = {}
    for stream in streams:
        cases: dict[tuple[bool, float, int], list[dict]] = {}
        for r in stream["runs"]:
            cases.setdefault((r["ner"], r["rate"], r["partitions"]), []).append(
                {**r, "time": stream["meta"]["time"]}
            )
        latest.update(cases)
        for ner, rate in {(r["ner"], r["rate"]) for r in stream["runs"]}:
            same_case = [w for w in stream["runs"] if (w["ner"], w["rate"]) == (ner, rate)]
            widest = max(w["partitions"] for w in same_case)
            ones = [w["p50_s"] for w in same_case if w["partitions"] == 1]
            many = [w["p50_s"] for w in same_case if w["partitions"] == widest]
            if widest >= 4 and ones:
                pairs[(ner, rate)] = (sum(ones) / len(ones), sum(many) / len(many), min(len(ones), len(many)))
    out = []
    for ner, (p50, p99) in STREAM.items():
        cases = [
            r
            for (n, rate, parts), rows in sorted(latest.items())
            if n == ner and rate == 10 and parts >= 4
            for r in rows
        ]
        seen = ", ".join(
            f"p50 {r['p50_s']:.2f} / p99 {r['p99_s']:.2f} s, {r['received']}/{r['sent']} out ({r['time']})"
            for r in cases
        )
        oks = [r["p50_s"] < p50 and r["p99_s"] < p99 and r["received"] == r["sent"] for r in cases]
        out.append(
            f"| stream NER {'on' if ner else 'off'}, 10 items/s, >= 4 partitions | p50 < {p50} s, p99 < {p99} s, "
            f"every record out | {seen or '-'} | {_verdict(oks)} |"
        )
    seen = ", ".join(
        f"NER {'on' if n else 'off'} {q:.0f}/s: {one:.2f} vs {many:.2f} s"
        + (f" (means of {k})" if k > 1 else "")
        for (n, q), (one, many, k) in sorted(pairs.items())
    )
    oks = [abs(one - many) <= SAME_P50_S for one, many, _ in pairs.values()]
    out.append(
        f"| stream latency independent of the partition count | p50 on 1 and on >= 4 partitions within "
        f"{SAME_P50_S} s | {seen or '-'} | {_verdict(oks, 'cases')} |"
    )
    return out


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
    throughput, stream = load_all("throughput"), load_all("stream")
    out += [
        "## Against the goals (issue 15)",
        "",
        "Ratios within the latest throughput run (every repetition of the 2-core configuration), each against "
        "the mean of its reference measured right before and right after it where the run bracketed them (else "
        "the reference measured once at the run's start); stream cases from the latest measurement of each.",
        "",
        "| goal | target | measured | verdict |",
        "|---|---|---|---|",
        *drain_goals(throughput[-1] if throughput else None),
        *stream_goals(stream),
        "",
    ]
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
