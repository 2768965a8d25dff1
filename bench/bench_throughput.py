"""Drain throughput, end to end and per stage, against the one-process loop of the same stages; NER off/on; 1 vs 2 cores.

    .venv/bin/python bench/bench_throughput.py [--items 4000] [--ner-items 400 (0: NER off only)] [--baseline-src DIR]
        [--baseline-pool auto|same] [--repeat N] [--no-bracket]

One embedded broker (memory storage); the generated Reuters-based dispatches of bench_drain.py are produced once per
run to fresh raw topics.  Measured in the same run, in this order: the plain loop (bench/stage_loop.py) NER off,
``news-pipeline run --mode drain`` NER off with the enrich pool off (1 core) and with cores - 1 workers beside the
pipeline process (2 cores), the same with NER on with the pool off and one worker per core (fewer items), spaCy's
own ``nlp.pipe`` on the same texts (one core, and two processes at once on its halves).  Each pipeline run is its
own child process.  The goals' configurations (this tree, with workers) are also bracketed by their reference, measured
again right before and right after each such run (the loop NER off in a fresh process, two processes of ``nlp.pipe``
with NER): this host's speed drifts by 10-25 % within minutes, so a ratio to a reference measured once, minutes
earlier, measured the drift as much as the pipeline (``--no-bracket`` leaves them out)
(``--baseline-src`` runs the same children on another source tree too, right after the same configuration on this
tree: before/after in one run, under the same load).  Writes
bench/results/throughput-<time>.json and prints a table; the machine is shared, so the load average is recorded
beside every number.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


def _child_run(args: argparse.Namespace) -> dict:
    """In a child process: one pipeline drain of ``args.raw`` with the given settings, run as ``news-pipeline run``
    runs it: Beam imported without its cloud clients where the tree knows how (beam/cloud_clients.py), the process
    told it is the run's own (gc_tuning.py).  Timed from before Beam's import: a tree that starts its stage pool
    before that import (cli.py ``_pool_started_early``) gets no start-up outside the timed span."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        from pipeline.beam.cloud_clients import skip_for_local_run
    except ImportError:  # a tree from before it
        pass
    else:
        skip_for_local_run(())
    from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

    tag = uuid.uuid4().hex[:6]
    topics = TopicSettings(raw=args.raw, output=f"o-{tag}", dead_letter=f"d-{tag}", audit=f"a-{tag}")
    extra = {} if args.processes < 0 else {"enrich_processes": args.processes}
    if args.commit_interval is not None:  # else the tree's own default for drain mode
        extra["commit_interval_s"] = args.commit_interval
    settings = PipelineSettings(
        kafka=KafkaSettings(bootstrap_servers=args.bootstrap),
        topics=topics,
        consumer_group=f"g-{tag}",
        out_dir=tempfile.mkdtemp(),
        ner=args.ner == "on",
        **extra,
    )
    settings = _early_pool(settings)
    from pipeline.beam.run import run

    # run as ``news-pipeline run`` runs it: a tree whose run() knows the process is its own is told so
    own = {"own_process": True} if "own_process" in inspect.signature(run).parameters else {}
    state = run(settings, **own)
    wall = time.perf_counter() - t0
    _stop_pools()  # (reaped now, the stage workers count in RUSAGE_CHILDREN; at exit they would not)
    cpu_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "state": state,
        "output": topics.output,
        "wall_s": wall,
        "cpu_s": time.process_time() - c0,
        "cpu_children_s": cpu_children.ru_utime + cpu_children.ru_stime,
    }


def _loop_child(items: int) -> dict:
    """In a fresh process: the loop NER off over the first ``items`` bench entries, as the run's first loop (cold
    caches: a second loop in the bench's own process would find its tables and caches warm)."""
    sys.path[:0] = [str(ROOT), str(HERE)]
    from bench_drain import generate
    from stage_loop import run_loop

    from pipeline.avro.codec import encode_raw_entry

    values = [encode_raw_entry(e) for e in generate(items)]
    return {"items_per_s": len(values) / run_loop(values, ner=False)["total"]}


def reference_rate(ner: bool, items: int, texts: list[str]) -> float:
    """The goal's reference now: two processes of ``nlp.pipe`` on ``texts`` with NER, the loop NER off over
    ``items`` entries in a fresh process without."""
    if ner:
        return nlp_pipe_two_processes(texts)
    cmd = [sys.executable, __file__, "--loop-child", str(items)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"reference loop failed:\n{out.stderr[-3000:]}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["items_per_s"])


def _stop_pools() -> None:
    """Shut the run's stage pools down (joined: their workers' CPU is then the children's)."""
    try:
        from pipeline.transforms.enrich.pool import _POOLS
    except ImportError:  # a tree without a pool
        return
    for pool in list(_POOLS.values()):
        pool.shutdown()


def _early_pool(settings: Any) -> Any:
    """As ``news-pipeline run`` does before Beam's import: the stage pool started now, on a tree that does so."""
    try:
        from pipeline.cli import _pool_started_early
    except ImportError:  # a tree from before it
        return settings
    return _pool_started_early(settings)


def _schemas_of(src: Path) -> Path:
    """A directory whose ``news_schemas`` is ``src``'s own schemas/ (the editable install maps that package to the
    checkout it was installed from, so another tree would otherwise encode with that checkout's schemas)."""
    shim = Path(tempfile.gettempdir()) / f"bench-schemas-{zlib.crc32(str(src.resolve()).encode()):08x}"
    shim.mkdir(exist_ok=True)
    link = shim / "news_schemas"
    if not link.is_symlink() or link.resolve() != (src / "schemas").resolve():
        link.unlink(missing_ok=True)
        link.symlink_to((src / "schemas").resolve())
    return shim


_COMPILED: set[Path] = set()


def compiled(src: Path) -> None:
    """Byte-compile ``src``'s modules once before its first timed run.  With PYTHONDONTWRITEBYTECODE set (as on these
    machines) Python never writes .pyc files, so a tree without them (a fresh ``git archive``, ``--ablate``'s copy)
    compiled every module it imports in every process of every run: ~0.3 s of CPU in the pipeline process alone
    (``import pipeline.beam.run, pipeline.cli``: 1.75 against 1.42-1.55 s), paid by one tree and not the other."""
    if src.resolve() in _COMPILED:
        return
    import compileall

    compileall.compile_dir(str(src / "pipeline"), quiet=2, workers=1)
    _COMPILED.add(src.resolve())


def pipeline_run(
    src: Path, bootstrap: str, raw: str, ner: bool, processes: int, commit_s: float | None
) -> dict:
    compiled(src)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(_schemas_of(src))])}
    # each tree its own gazetteer cache: their cache keys differ (gazetteer.py's source), and a shared directory keeps
    # only the newest key's file, so alternating trees rebuilt the index (~3 s a process) in every run
    env.setdefault("NEWS_PIPELINE_CACHE_DIR", str(_schemas_of(src) / "cache"))
    load = os.getloadavg()[0]
    cmd = [sys.executable, __file__, "--child", "--bootstrap", bootstrap, "--raw", raw]
    cmd += [
        "--ner",
        "on" if ner else "off",
        "--processes",
        str(processes),
    ]
    cmd += [] if commit_s is None else ["--commit-interval", str(commit_s)]
    spawned = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=src)
    exited = time.time()
    if out.returncode != 0:
        raise SystemExit(f"pipeline run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["spawn_to_exit_s"] = exited - spawned  # the whole child: interpreter, imports, run, teardown
    result.update(output_timeline(bootstrap, result["output"], spawned))
    result["load_before"] = load
    result["load_after"] = os.getloadavg()[0]
    return result


def output_timeline(bootstrap: str, topic: str, spawned: float) -> dict:
    """When the output records were written (their producer timestamps), from the child's spawn: the first output's
    delay (start-up) and the steady rate, items between the 5th and the 95th percentile record over their span."""
    from kafka import KafkaConsumer, TopicPartition

    from pipeline.bus.client import consumer_config
    from pipeline.settings import KafkaSettings

    consumer = KafkaConsumer(
        **consumer_config(KafkaSettings(bootstrap_servers=bootstrap), max_poll_records=5000)
    )
    tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    stamps: list[float] = []
    deadline = time.monotonic() + 60
    while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            stamps += [r.timestamp / 1000 for r in records]
    consumer.close()
    if len(stamps) < 20:
        return {}
    stamps.sort()
    lo, hi = stamps[len(stamps) // 20], stamps[len(stamps) * 19 // 20]
    return {
        "first_output_s": stamps[0] - spawned,
        "last_output_s": stamps[-1] - spawned,
        "steady_items_per_s": (len(stamps) * 9 // 10) / max(hi - lo, 1e-9),
    }


def nlp_pipe_rate(texts: list[str]) -> float:
    """Docs/s of the French/English NER models' own ``nlp.pipe`` (one core), as the enrich stage loads them."""
    from pipeline.transforms.enrich import models

    nlp = models.load_ner("en")
    list(nlp.pipe(texts[:16]))
    t = time.process_time()
    list(nlp.pipe(texts, batch_size=32))
    return len(texts) / (time.process_time() - t)


def _nlp_pipe_half(texts: list[str], barrier: object, out: object) -> None:
    """In a spawned process: the model loaded and warmed, then (both processes at once) ``nlp.pipe`` over ``texts``."""
    from pipeline.transforms.enrich import models

    nlp = models.load_ner("en")
    list(nlp.pipe(texts[:16]))
    barrier.wait()  # type: ignore[attr-defined]
    t0 = time.time()
    n = len(list(nlp.pipe(texts, batch_size=32)))
    out.put((t0, time.time(), n))  # type: ignore[attr-defined]


def nlp_pipe_two_processes(texts: list[str]) -> float:
    """Docs/s of two processes running the model's own ``nlp.pipe`` at the same time, each on half the texts: two
    cores of ``nlp.pipe`` as measured, wall clock from the common start to the last one's end (what two cores give
    when both are busy; twice the one-core rate assumes they scale perfectly)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    halves = [texts[: len(texts) // 2], texts[len(texts) // 2 :]]
    procs = [ctx.Process(target=_nlp_pipe_half, args=(h, barrier, out)) for h in halves]
    for p in procs:
        p.start()
    done = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return sum(n for _, _, n in done) / (max(e for _, e, _ in done) - min(s for s, _, _ in done))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=4000)
    ap.add_argument("--ner-items", type=int, default=400)
    ap.add_argument("--baseline-src", type=Path, default=None, help="another source tree, run the same way")
    ap.add_argument(
        "--baseline-pool",
        choices=("auto", "same"),
        default="auto",
        help="the baseline's pool: its own automatic choice once per configuration (trees without the setting), "
        "or the same sizes as this tree (trees with --enrich-processes)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="run the pipeline sequence this many times")
    ap.add_argument(
        "--commit-interval",
        type=float,
        default=None,
        help="the pipeline's --commit-interval (s; default: its own)",
    )
    ap.add_argument(
        "--no-bracket",
        dest="bracket",
        action="store_false",
        help="do not measure the reference again before and after each run with workers of this tree",
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--loop-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--bootstrap", help=argparse.SUPPRESS)
    ap.add_argument("--raw", help=argparse.SUPPRESS)
    ap.add_argument("--ner", default="off", help=argparse.SUPPRESS)
    ap.add_argument("--processes", type=int, default=-1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child_run(args)))
        return
    if args.loop_child:
        print(json.dumps(_loop_child(args.loop_child)))
        return

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from bench_drain import generate, produce
    from stage_loop import run_loop

    from pipeline.avro.codec import encode_raw_entry
    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings
    from pipeline.transforms.enrich.enricher import compose

    # NER on runs on the first --ner-items entries, NER off on the first --items: each rate is over the entries that
    # run really had (with --ner-items above --items the NER rows once divided --items entries by --ner-items)
    everything = generate(max(args.items, args.ner_items))
    entries, ner_entries = everything[: args.items], everything[: args.ner_items]
    values = [encode_raw_entry(e) for e in entries]
    runs: list[dict] = []

    def note(name: str, items: int, wall: float, **extra: object) -> None:
        row = {"name": name, "items": items, "wall_s": wall, "items_per_s": items / wall, **extra}
        runs.append(row)
        cpu = (
            f"  CPU {extra['cpu_s']:.1f} s + children {extra['cpu_children_s']:.1f} s"
            if "cpu_s" in extra
            else ""
        )
        if "steady_items_per_s" in extra:
            cpu += f"  first out {extra['first_output_s']:.1f} s, steady {extra['steady_items_per_s']:.1f}/s"
        if "spawn_to_exit_s" in extra:
            cpu += f", spawn to exit {extra['spawn_to_exit_s']:.1f} s"
        print(
            f"{name:44} {items:>6} {wall:8.1f} s {items / wall:9.1f}/s  load {os.getloadavg()[0]:.1f}{cpu}",
            flush=True,
        )

    load = os.getloadavg()[0]
    loop_off = run_loop(values, ner=False)
    note("loop NER off", len(values), loop_off["total"], stages=loop_off, load_before=load)
    texts: list[str] = []
    if args.ner_items:
        load = os.getloadavg()[0]
        loop_on = run_loop([encode_raw_entry(e) for e in ner_entries], ner=True)
        note("loop NER on", len(ner_entries), loop_on["total"], stages=loop_on, load_before=load)
        from pipeline.transforms.normalize.core import normalize_entry

        texts = [compose(normalize_entry(e, now_ms=0)) for e in ner_entries]
        rate = nlp_pipe_rate(texts)
        runs.append({"name": "nlp.pipe one core", "items_per_s": rate, "items": len(texts)})
        print(f"{'spaCy nlp.pipe, one core':44} {len(texts):>6} {'':10} {rate:9.1f}/s", flush=True)
        two = nlp_pipe_two_processes(texts)
        runs.append({"name": "nlp.pipe two processes", "items_per_s": two, "items": len(texts)})
        print(
            f"{'spaCy nlp.pipe, two processes at once':44} {len(texts):>6} {'':10} {two:9.1f}/s"
            f"  ({two / (2 * rate):.2f}x twice one core)",
            flush=True,
        )

    trees = [("after", ROOT)] + ([("before", args.baseline_src.resolve())] if args.baseline_src else [])
    # Each configuration runs on every tree back to back (after, before, after, ...), so that both see the same load
    # on this shared machine; ``--repeat`` repeats the whole sequence.
    # Pool sizes: none (one core) and what ``auto_processes`` picks on an idle machine (NER off: cores - 1 workers
    # beside the pipeline process; NER on: one worker per core).
    cores = os.cpu_count() or 1
    configs = [(False, entries, (0, cores - 1))]
    configs += [(True, ner_entries, (0, cores))] if args.ner_items else []
    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        for _ in range(args.repeat):
            for ner, workload, procs in configs:
                same = args.baseline_pool == "same"
                for label, src, p in [
                    (t, s, p) for p in procs for t, s in trees if t == "after" or same or p == 0
                ]:
                    p = p if label == "after" or same else -1
                    raw = f"raw-{uuid.uuid4().hex[:6]}"
                    produce(kafka, raw, workload)
                    judged = args.bracket and label == "after" and p > 0  # a goal's configuration
                    before = reference_rate(ner, len(workload), texts) if judged else None
                    r = pipeline_run(src, broker.bootstrap_servers, raw, ner, p, args.commit_interval)
                    if judged:
                        after = reference_rate(ner, len(workload), texts)
                        r.update(reference_before=before, reference_after=after)
                    pool = "" if p < 0 else f", {p} enrich worker{'s' if p != 1 else ''}"
                    note(
                        f"pipeline {label} NER {'on' if ner else 'off'}{pool}",
                        len(workload),
                        r["wall_s"],
                        **r,
                        tree=label,
                    )
                    if judged:
                        mean = (before + after) / 2
                        print(
                            f"{'  its reference before / after':44} {before:9.1f} / {after:.1f}/s: this run "
                            f"{len(workload) / r['wall_s'] / mean:.2f}x their mean, steady "
                            f"{r['steady_items_per_s'] / mean:.2f}x",
                            flush=True,
                        )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    meta = {
        "time": stamp,
        "cpus": os.cpu_count(),
        "command": " ".join(sys.argv),
        "items": len(entries),
        "ner_items": len(ner_entries),
        "bracketed": args.bracket,
    }
    path = RESULTS / f"throughput-{stamp}.json"
    path.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1, default=str))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
