"""Stream latency (raw record produced -> news item readable on the output topic) and memory over time.

    .venv/bin/python bench/bench_stream.py [--rates 10,50] [--seconds 30] [--partitions 1,4,4,1] [--ner off,on]
        [--enrich-processes auto|N]

For each (NER, rate): a fresh raw topic with ``--partitions`` partitions on an embedded broker (memory storage), the
pipeline in stream mode in a child process (``news-pipeline run``'s code path, ``pipeline.beam.run.run``), a producer
sending generated dispatches round-robin over the partitions at a steady rate, and a consumer of the output topic.
Latency of an item = the time the consumer got it - its ``fetched_at`` (set when it was produced); the consumer polls
with a 20 ms fetch wait, which is part of the number.  Warm-up: timing starts once a first record made it through.
The child's RSS (and its enrich workers') is sampled every second, and its CPU per record over the timed phase.  Writes bench/results/stream-<time>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"


def _child(bootstrap: str, raw: str, output: str, ner: bool, processes: str) -> None:
    from pipeline.beam.cloud_clients import skip_for_local_run

    skip_for_local_run(())  # before Beam's import, as ``news-pipeline run`` (beam/cloud_clients.py)
    from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

    tag = uuid.uuid4().hex[:6]
    topics = TopicSettings(raw=raw, output=output, dead_letter=f"d-{tag}", audit=f"a-{tag}")
    settings = PipelineSettings(
        kafka=KafkaSettings(bootstrap_servers=bootstrap),
        topics=topics,
        consumer_group=f"g-{tag}",
        mode="stream",
        out_dir=tempfile.mkdtemp(),
        ner=ner,
        enrich_processes=None if processes == "auto" else int(processes),
    )
    try:  # the stage pool started before Beam's import, as ``news-pipeline run`` does (on a tree that does)
        from pipeline.cli import _pool_started_early
    except ImportError:
        pass
    else:
        settings = _pool_started_early(settings)
    from pipeline.beam.run import run

    print(run(settings, own_process=True), flush=True)  # as ``news-pipeline run`` runs it (beam/gc_tuning.py)


def pool_choice(errors: IO[str]) -> str | None:
    """What the pipeline said, as it started, about its stage pool (``news-pipeline run: stage pool: ...``)."""
    errors.seek(0)
    said = [line.split(": ", 1)[1].strip() for line in errors if line.startswith("news-pipeline run: ")]
    errors.close()
    return said[0] if said else None


def family(pid: int) -> list[int]:
    """A process and its children (the enrich workers, the file sink)."""
    try:
        return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return [pid]


def rss_mb(pid: int) -> float:
    """RSS of a process and its children, in MB."""
    total = 0
    for p in family(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live children."""
    total = 0
    for p in family(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def one_run(
    kafka, entries, partitions: int, rate: float, seconds: float, ner: bool, processes: str = "auto"
) -> dict:
    from kafka import KafkaConsumer

    from pipeline.avro.codec import decode_news_item, encode_raw_entry, millis
    from pipeline.bus.client import consumer_config, ensure_topics, make_producer

    tag = uuid.uuid4().hex[:6]
    raw, output = f"raw-{tag}", f"items-{tag}"
    ensure_topics(kafka, [raw], partitions)
    ensure_topics(kafka, [output], 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, __file__, "--child", kafka.bootstrap_servers, raw, output, "on" if ner else "off"]
    cmd.append(processes)
    # the child's stderr: where it says which stage pool it chose (read and closed by pool_choice)
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115
    child = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True)
    consumer = KafkaConsumer(
        output, **consumer_config(kafka, fetch_max_wait_ms=20, auto_offset_reset="earliest")
    )
    producer = make_producer(kafka, linger_ms=0)
    latencies: list[tuple[float, float]] = []  # (seconds since start, latency s)
    rss: list[tuple[float, float]] = []
    seen: set[str] = set()
    stop = threading.Event()
    t_start = time.time()

    def sample_rss() -> None:
        while not stop.wait(1.0):
            rss.append((time.time() - t_start, rss_mb(child.pid)))

    def send(i: int) -> None:
        e = entries[i % len(entries)]
        e = dataclasses.replace(e, fetched_at_ms=int(time.time() * 1000))
        producer.send(raw, key=e.entry_key.encode(), value=encode_raw_entry(e), partition=i % partitions)
        producer.flush()

    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    # Warm-up: one record through the whole pipeline (models loaded, pool started), then the timed phase.
    send(0)
    deadline = time.time() + 180
    while not seen and time.time() < deadline:
        for recs in consumer.poll(timeout_ms=200).values():
            seen.update(r.key.decode() for r in recs)
    if not seen:
        child.send_signal(signal.SIGINT)
        raise SystemExit("no record came through in 180 s")
    n = int(rate * seconds)
    t0, cpu0 = time.time(), cpu_s(child.pid)

    def produce_steady() -> None:
        for i in range(1, n + 1):
            delay = t0 + (i - 1) / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            send(i)

    producer_thread = threading.Thread(target=produce_steady, daemon=True)
    producer_thread.start()
    got = 0
    deadline = t0 + seconds + 60
    while got < n and time.time() < deadline:
        for recs in consumer.poll(timeout_ms=100).values():
            now = time.time()
            for r in recs:
                item = decode_news_item(r.value)
                sent = millis(item["ingest"]["fetched_at"]) if "ingest" in item else None
                if sent is None:
                    continue
                latencies.append((now - t_start, now - sent / 1000))
                got += 1
    producer_thread.join()
    cpu = cpu_s(child.pid) - cpu0  # the timed phase: the pipeline's CPU per record at this rate
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
    stop.set()
    consumer.close()
    producer.close()
    values = [lat for _, lat in latencies]
    return {
        "ner": ner,
        "rate": rate,
        "partitions": partitions,
        "enrich_processes": processes,
        "pool_choice": pool_choice(errors),
        "sent": n,
        "received": got,
        "p50_s": percentile(values, 0.5),
        "p99_s": percentile(values, 0.99),
        "max_s": max(values) if values else float("nan"),
        "cpu_ms_per_record": cpu * 1000 / max(got, 1),
        "latencies": latencies,
        "rss": rss,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", default="10,50")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument(
        "--partitions",
        default="1,4,4,1",
        help="comma-separated: one run per entry (the default runs each count once first and once second: a run "
        "inherits the load its predecessor leaves, so a single 1,4 pair favoured whichever ran first)",
    )
    ap.add_argument("--ner", default="off,on")
    ap.add_argument(
        "--enrich-processes",
        default="auto",
        help="enrich pool size: auto (the pipeline's default) or a number",
    )
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        bootstrap, raw, output, ner, processes = args.child
        _child(bootstrap, raw, output, ner == "on", processes)
        return
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from bench_drain import generate

    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings

    rates = [float(r) for r in args.rates.split(",")]
    ners = [x == "on" for x in args.ner.split(",")]
    entries = generate(int(max(rates) * args.seconds) + 10, seed=11)
    runs = []
    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        for ner, rate, parts in [
            (ner, rate, int(k)) for ner in ners for rate in rates for k in args.partitions.split(",")
        ]:
            r = one_run(kafka, entries, parts, rate, args.seconds, ner, args.enrich_processes)
            runs.append(r)
            print(
                f"NER {'on ' if ner else 'off'} {rate:5.0f}/s {parts} partitions, pool {args.enrich_processes} "
                f"({r['pool_choice'] or 'not said'}): "
                f"{r['received']}/{r['sent']} out, p50 {r['p50_s']:.2f} s, p99 {r['p99_s']:.2f} s, "
                f"max {r['max_s']:.2f} s, CPU {r['cpu_ms_per_record']:.1f} ms/record, peak RSS {max((m for _, m in r['rss']), default=0):.0f} MB, "
                f"load {r['load']:.1f}",
                flush=True,
            )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    meta = {"time": stamp, "cpus": os.cpu_count(), "command": " ".join(sys.argv)}
    path = RESULTS / f"stream-{stamp}.json"
    path.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1, default=str))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
