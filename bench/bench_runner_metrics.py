"""Benchmark: the local runner's metrics fix (runner_metrics.py) against Beam's own merge, side by side.

Idle (default): RSS of an idle ``run --mode stream`` over time.  ``--drain N``: a NER-off drain of N distinct items,
items/s and RSS at the end.

An idle stream pipeline still runs a bundle every ~0.5 s.  Beam's FnApiRunner kept every bundle's response
reachable (pipeline/beam/runner_metrics.py says how); this bench shows it: two pipelines side by side, each in its
own process on its own in-memory embedded broker with the same 200 items, one with ``runner_metrics.apply()`` (what
``news-pipeline run`` does) and one with Beam's own merge (the baseline), RSS sampled every 15 s.
Run: ``.venv/bin/python bench/bench_runner_metrics.py [--seconds 240] [--drain 20000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVERY_S = 15


def rss_mb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def one(seconds: int, fixed: bool, drain: int = 0) -> None:
    """Run the stream pipeline in this process for ``seconds`` (or drain ``drain`` items); print JSON results."""
    from bench.bench_drain import generate, produce
    from pipeline.beam import run as beam_run
    from pipeline.bus.broker import EmbeddedBroker, free_port
    from pipeline.cli import main
    from pipeline.settings import KafkaSettings, TopicSettings

    if not fixed:
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        beam_run.local_runner = FnApiRunner  # Beam's merge, no runner_metrics.apply()
    state = Path(tempfile.mkdtemp(prefix="idle-rss-"))
    broker = EmbeddedBroker(port=free_port(), state_dir=state, storage="memory").start()
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
    topics = TopicSettings()
    produce(kafka, topics.raw, generate(drain or 200))
    if drain:
        t0 = time.monotonic()
        argv = [
            "run",
            "--mode",
            "drain",
            "--bootstrap-servers",
            broker.bootstrap_servers,
            "--no-ner",
            "--out-dir",
            "",
        ]
        argv += ["--raw-topic", topics.raw, "--output-topic", topics.output, "--group", "drain"]
        argv += ["--dead-letter-topic", topics.dead_letter, "--audit-topic", topics.audit]
        try:
            main(argv)
        finally:
            broker.stop()
        print("DRAIN " + json.dumps({"s": time.monotonic() - t0, "rss": rss_mb()}))
        return
    samples: list[tuple[int, int]] = []
    t0 = time.monotonic()

    def sample() -> None:
        while (elapsed := time.monotonic() - t0) < seconds:
            time.sleep(EVERY_S)
            samples.append((round(elapsed + EVERY_S), rss_mb()))
        os.kill(os.getpid(), signal.SIGTERM)  # the pipeline stops cleanly on SIGTERM

    threading.Thread(target=sample, daemon=True).start()
    argv = ["run", "--mode", "stream", "--bootstrap-servers", broker.bootstrap_servers, "--no-ner"]
    argv += [
        "--raw-topic",
        topics.raw,
        "--output-topic",
        topics.output,
        "--dead-letter-topic",
        topics.dead_letter,
    ]
    argv += ["--audit-topic", topics.audit, "--group", "idle", "--out-dir", ""]
    try:
        main(argv)
    except SystemExit:
        pass
    finally:
        broker.stop()
    print("SAMPLES " + json.dumps(samples))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=240)
    ap.add_argument("--drain", type=int, default=0, help="drain this many items instead of idling")
    ap.add_argument("--one", choices=["fixed", "beam"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.seconds, args.one == "fixed", args.drain)
        return
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = {
        name: subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--seconds",
                str(args.seconds),
                "--drain",
                str(args.drain),
                "--one",
                name,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for name in ("fixed", "beam")
    }
    if args.drain:
        res = {}
        for name, proc in procs.items():
            out, _ = proc.communicate(timeout=args.drain + 600)
            line = next((x for x in out.splitlines() if x.startswith("DRAIN ")), 'DRAIN {"s": 0, "rss": 0}')
            res[name] = json.loads(line[len("DRAIN ") :])
        print(f"run --mode drain, {args.drain} distinct items, NER off, no files (both at once)")
        print("| merge | seconds | items/s | RSS MB at the end |")
        print("|---|---|---|---|")
        for name, label in (("fixed", "runner_metrics (news-pipeline run)"), ("beam", "Beam's (baseline)")):
            r = res[name]
            print(f"| {label} | {r['s']:.0f} | {args.drain / max(r['s'], 1e-9):.1f} | {r['rss']} |")
        print(f"items/s ratio fixed/beam: {res['beam']['s'] / max(res['fixed']['s'], 1e-9):.2f}")
        return
    series = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=args.seconds + 300)
        line = next((x for x in out.splitlines() if x.startswith("SAMPLES ")), "SAMPLES []")
        series[name] = dict(json.loads(line[len("SAMPLES ") :]))
    times = sorted(set(series["fixed"]) & set(series["beam"]))
    print(f"idle run --mode stream, RSS MB every {EVERY_S} s (both at once, NER off, 200 items then idle)")
    print("| s | with runner_metrics (news-pipeline run) | Beam's merge (baseline) |")
    print("|---|---|---|")
    for t in times:
        print(f"| {t} | {series['fixed'][t]} | {series['beam'][t]} |")
    if times:
        first, last = times[0], times[-1]
        minutes = (last - first) / 60 or 1
        for name in ("fixed", "beam"):
            growth = series[name][last] - series[name][first]
            print(f"{name}: {growth:+d} MB from {first} s to {last} s ({growth / minutes:+.1f} MB/min)")


if __name__ == "__main__":
    main()
