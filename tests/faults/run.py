"""``make faults``: run the crash-consistency scenarios against the real broker and CLI, print one table.

    .venv/bin/python -m tests.faults.run [--only steady,poison] [--items 1500] [--soak-items 30000]

The guarantee under attack: at-least-once delivery with recognisable repeats (a deterministic ``id`` per article
version), and Avro files in the out dir equal to the output topic after a final ``run --mode drain``.  Every
scenario gets a fresh embedded broker (memory storage), out dir and state dir (the process cwd); NER is off.

Columns
  items in        distinct raw entries produced to ``news.raw`` (distinct URL and body; a plain drain keeps every
                  one) plus that scenario's poison records.  Poller: entries served by the loopback feeds.
  articles out    distinct URIs among the records on ``news.items`` (an article without a URI counts by headline).
  lost            good input articles whose URI is not on ``news.items`` after the final drain.
  ids shared      ``id`` values carried by records with different URIs (output topic and files together).
  two clusters    record ids whose copies on ``news.items`` carry different ``cluster_id``s (a replay decided
                  again), plus stories whose versions do.
  files vs topic  |ids in finished files (names starting with neither ``.`` nor ``_``) XOR ids on the topic| plus
                  the ids on both that appear more often in the files than on the topic.  Leftover ``_open-`` /
                  ``.tmp-`` files after the final drain are listed in the notes.
  dead letters    records on ``news.dlq``; a dead letter written twice (same reason and source offset) is noted.
  exit codes      every process of the scenario in order; a SIGKILLed one is -9, SIGTERM-stopped streams should
                  be 0, the last is the final drain.
  recovery s      from the restart of the killed process until every good article is on ``news.items``
                  (poller: until every entry is on ``news.raw``); "-" if not reached before the deadline.
  peak RSS MB     highest sum of VmRSS over each pipeline process and its children (sampled every 0.2 s; VmHWM
                  of the process itself counts too), over the scenario's processes.
Soak adds RSS when 10k/20k/30k articles were out, and the bytes the drain's process tree wrote (/proc/<pid>/io
write_bytes; a reaped child counted once, harness.Proc.tree_write_bytes) against the bytes of the finished output
files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from tests.faults import harness, scenarios
from tests.faults.harness import REPO, Measurement

HEADER = (
    "scenario",
    "items in",
    "articles out",
    "lost",
    "ids shared by two articles",
    "ids or stories in two clusters",
    "files vs topic diff",
    "dead letters",
    "exit codes",
    "recovery s",
    "peak RSS MB",
    "notes",
)


def row(m: Measurement) -> tuple[str, ...]:
    recovery = "-" if m.recovery_s is None else f"{m.recovery_s:.1f}"
    return (
        m.scenario,
        str(m.items_in),
        str(m.articles_out),
        str(m.lost),
        str(m.shared_ids),
        str(m.split_clusters),
        str(m.files_diff),
        str(m.dead_letters),
        ", ".join(str(c) for c in m.exit_codes),
        recovery,
        f"{m.peak_rss_mb:.0f}",
        "; ".join(m.notes),
    )


def markdown(rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def details(results: list[Measurement]) -> str:
    out = []
    for m in results:
        if m.poison_outcomes:
            out.append(f"\nPoison records ({m.scenario}):")
            out += [f"- {label}: {what}" for label, what in m.poison_outcomes.items()]
        if "rss_at" in m.extra:
            marks = m.extra["rss_at"]
            mode = m.extra.get("mode", "drain")
            out.append(
                f"\nSoak ({m.scenario}), {mode} {m.extra['seconds']:.0f} s; stage pool: {m.extra.get('pool')}:"
            )
            out.append(
                markdown(
                    [(f"{k:,}", f"{v:.0f}") for k, v in sorted(marks.items())],
                    ("articles out", f"RSS MB of the {mode}"),
                )
            )
            out.append(
                f"\nwrite_bytes of the {mode} process {m.extra['write_bytes']:,} B; finished output files "
                f"{m.extra['file_bytes']:,} B ({m.extra['write_bytes'] / max(1, m.extra['file_bytes']):.1f}x); "
                f"{mode} peak RSS {m.extra['soak_peak_rss_mb']:.0f} MB"
            )
    return "\n".join(out)


def run(only: list[str], items: int, soak_items: int, feeds: int, per_feed: int, keep: Path | None) -> list:
    plan = {
        "first": lambda: scenarios.crash_stream("first", items, keep),
        "steady": lambda: scenarios.crash_stream("steady", items, keep),
        "roll": lambda: scenarios.crash_stream("roll", items, keep),
        "worker": lambda: scenarios.kill_worker(items, keep),
        "worker2": lambda: scenarios.kill_worker(items, keep, workers=2),
        "sink": lambda: scenarios.kill_file_sink(items, keep),
        "poller": lambda: scenarios.kill_poller(feeds, per_feed, keep),
        "poison": lambda: scenarios.poison(items, keep),
        "crash": lambda: scenarios.poison_crash(items, keep),
        "crash-here": lambda: scenarios.poison_crash(items, keep, here=True),
        "soak": lambda: scenarios.soak(soak_items, keep),
        "soak-stream": lambda: scenarios.soak(soak_items, keep, mode="stream"),
    }
    results = []
    for name in only:
        t0 = time.monotonic()
        m = plan[name]()
        m.notes.append(f"{time.monotonic() - t0:.0f} s")
        print(f"[faults] {name}: done in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
        results.append(m)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(scenarios.SCENARIOS), help="comma-separated scenario names")
    ap.add_argument("--items", type=int, default=1500, help="good items per crash/poison scenario")
    ap.add_argument("--soak-items", type=int, default=30_000)
    ap.add_argument("--feeds", type=int, default=30, help="poller scenario: number of feeds")
    ap.add_argument("--per-feed", type=int, default=30, help="poller scenario: entries per feed")
    ap.add_argument("--keep", type=Path, default=None, help="keep work dirs (logs, out dirs) under this dir")
    ap.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    ap.add_argument(
        "--pipeline-args",
        default="",
        help="more `news-pipeline run` flags for every pipeline of every scenario, e.g. '--enrich-processes 1' "
        "(the stage pool is automatic, and off on a machine with load >= 1)",
    )
    args = ap.parse_args(argv)
    os.environ[harness.PIPELINE_ARGS] = args.pipeline_args
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(scenarios.SCENARIOS)
    if unknown:
        ap.error(
            f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(scenarios.SCENARIOS)}"
        )
    started = dt.datetime.now(dt.UTC)
    results = run(only, args.items, args.soak_items, args.feeds, args.per_feed, args.keep)
    table = markdown([row(m) for m in results])
    text = (
        f"# Fault suite, {started:%Y-%m-%d %H:%M} UTC\n\n`python -m tests.faults.run "
        f"{' '.join(argv if argv is not None else sys.argv[1:])}`\n\n{table}\n{details(results)}\n"
    )
    print(text)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"faults-{started:%Y-%m-%d-%H%M}.md"
    path.write_text(text)
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
