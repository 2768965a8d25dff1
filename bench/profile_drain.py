"""Where a NER-off drain spends its time: py-spy over ``news-pipeline run --mode drain`` and over the one-process loop.

    .venv/bin/python bench/profile_drain.py [--items 3000] [--ner] [--top 25] [--out DIR] [--only drain|loop]
        [--enrich-processes N]

Starts the embedded broker (memory storage), produces the generated Reuters-based dispatches of bench_drain.py to a
fresh raw topic, then records with ``py-spy record --format raw`` (all threads, subprocesses included): the CLI drain
of that topic, and bench/stage_loop.py on the same record bytes.  Prints, for each, the wall time and the functions
with the largest share of samples, inclusive (anywhere on the stack) and self (the leaf frame); the collapsed stacks
stay in ``--out`` for a flame graph.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent


def stacks(raw: Path) -> Iterator[tuple[str, int]]:
    """(collapsed stack, samples) of each line of py-spy's ``--format raw`` output."""
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack, int(count)


def summarize(raw: Path, top: int) -> str:
    """Top functions of py-spy's collapsed stacks: inclusive share by function, self share by line."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    total = 0
    for stack, n in stacks(raw):
        total += n
        frames = [f.split(" (")[0] + " (" + f.rsplit("/", 1)[-1] if "(" in f else f for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ")]
        threads[next((f for f in frames if f.startswith("thread ")), "?")] += n
        for f in {re.sub(r":\d+\)$", ")", f) for f in frames}:  # a function counts once, whatever its line
            inclusive[f] += n
        leaf[frames[-1]] += n
    lines = [f"{total} samples", "threads:"]
    lines += [f"  {100 * n / total:5.1f} %  {f}" for f, n in threads.most_common(6)]
    lines.append("inclusive:")
    lines += [f"  {100 * n / total:5.1f} %  {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f} %  {f}" for f, n in leaf.most_common(top)]
    return "\n".join(lines)


def record(cmd: list[str], out: Path, env: dict[str, str], rate: int, gil: bool = False) -> float:
    spy = [
        str(BIN / "py-spy"),
        "record",
        "--subprocesses",
        "-r",
        str(rate),
        "-t",
        "-f",
        "raw",
        "-o",
        str(out),
        *(["--gil"] if gil else []),
        "--",
    ]
    t0 = time.perf_counter()
    subprocess.run(spy + cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


LOOP = """
import sys
sys.path.insert(0, {bench!r})
from bench_drain import generate
from stage_loop import run_loop
from pipeline.avro.codec import encode_raw_entry
values = [encode_raw_entry(e) for e in generate({n})]
print(run_loop(values, ner={ner}))
"""


def drain_samples(
    items: int,
    out: Path,
    env: dict[str, str],
    rate: int = 100,
    ner: bool = False,
    enrich_processes: int | None = None,
    gil: bool = False,
) -> tuple[float, float]:
    """``news-pipeline run --mode drain`` of ``items`` generated dispatches under py-spy, collapsed stacks to ``out``:
    (wall seconds under py-spy, load before)."""
    from bench_drain import generate, produce

    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings

    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        raw, tag = f"raw-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
        produce(kafka, raw, generate(items))
        cmd = [
            str(BIN / "news-pipeline"),
            "run",
            "--mode",
            "drain",
            "--bootstrap-servers",
            kafka.bootstrap_servers,
        ]
        cmd += ["--raw-topic", raw, "--output-topic", f"o-{tag}", "--dead-letter-topic", f"d-{tag}"]
        cmd += ["--audit-topic", f"a-{tag}", "--group", f"g-{tag}", "--out-dir", tempfile.mkdtemp()]
        cmd += [] if ner else ["--no-ner"]
        cmd += [] if enrich_processes is None else ["--enrich-processes", str(enrich_processes)]
        load = os.getloadavg()[0]
        return record(cmd, out, env, rate, gil), load


def profile_drain(args: argparse.Namespace, env: dict[str, str]) -> None:
    out = args.out / "drain.txt"
    wall, load = drain_samples(args.items, out, env, args.rate, args.ner, args.enrich_processes, args.gil)
    print(f"== drain: {args.items} items, {wall:.1f} s wall under py-spy, load {load:.1f}")
    print(summarize(out, args.top), flush=True)


def profile_loop(args: argparse.Namespace, env: dict[str, str]) -> None:
    script = args.out / "loop.py"
    script.write_text(LOOP.format(bench=str(HERE), n=args.items, ner=args.ner))
    load = os.getloadavg()[0]
    wall = record([sys.executable, str(script)], args.out / "loop.txt", env, args.rate, args.gil)
    print(
        f"== loop: {args.items} items, {wall:.1f} s wall under py-spy (generation included), load {load:.1f}"
    )
    print(summarize(args.out / "loop.txt", args.top), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--ner", action="store_true", help="NER on (default off)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    ap.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="profile-")))
    ap.add_argument("--only", choices=("drain", "loop"), default=None)
    ap.add_argument(
        "--enrich-processes", type=int, default=None, help="the drain's pool size (default: auto)"
    )
    ap.add_argument("--gil", action="store_true", help="only samples holding the GIL (py-spy --gil)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if args.only != "loop":
        profile_drain(args, env)
    if args.only != "drain":
        profile_loop(args, env)
    print(f"collapsed stacks in {args.out}")


if __name__ == "__main__":
    main()
