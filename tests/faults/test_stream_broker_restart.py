"""The durable embedded broker SIGKILLed and restarted under a running stream pipeline and poller loop.

Real processes only: ``news-pipeline broker`` (tansu on SeaweedFS), ``poll --loop`` over feeds on a loopback HTTP
server, ``run --mode stream``.  The broker's whole process tree is SIGKILLed mid-stream and restarted on its port;
then new entries appear in the feeds.  Both processes must stay up and ride it out, the topics and the pipeline's
committed offsets must be kept, every entry must come out (those polled after the restart exactly once), and the
Avro files must hold exactly the output topic's records.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import fastavro
from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.wire import WireDecoder
from pipeline.bus.children import free_port
from pipeline.devserver import DevServer
from pipeline.dlq.read import read_bounded
from pipeline.files import naming
from pipeline.poller.state import StateStore
from pipeline.settings import KafkaSettings, TopicSettings
from tests.faults.support import BrokerCli, rss, start_loop, stop_loop, wait_until

REPO = Path(__file__).resolve().parents[2]
FEEDS, ENTRIES, ADDED = 8, 10, 5
GROUP = "stream-restart"


def output_uris(kafka: KafkaSettings, topic: str) -> Counter[str]:
    decoder = WireDecoder()
    return Counter(decoder.decode(r.value)[1]["uri"] for r in read_bounded(kafka, topic))


def output_ids(kafka: KafkaSettings, topic: str) -> Counter[str]:
    decoder = WireDecoder()
    return Counter(str(decoder.decode(r.value)[1]["id"]) for r in read_bounded(kafka, topic))


def file_ids(out: Path) -> Counter[str]:
    ids: Counter[str] = Counter()
    for f in naming.finished(str(out)):
        with open(out / f.name, "rb") as fh:
            ids.update(str(r["id"]) for r in fastavro.reader(fh))
    return ids


def committed(kafka: KafkaSettings, topic: str) -> int:
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id=GROUP, enable_auto_commit=False
    )
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in parts)
    finally:
        consumer.close()


def end_offset(kafka: KafkaSettings, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or set()]
        return sum(consumer.end_offsets(tps).values())
    finally:
        consumer.close()


def start_pipeline(
    kafka: KafkaSettings, topics: TopicSettings, out: Path, log: Path
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "pipeline.cli", "run", "--mode", "stream", "--no-ner",
        "--bootstrap-servers", kafka.bootstrap_servers, "--group", GROUP, "--out-dir", str(out),
        "--raw-topic", topics.raw, "--output-topic", topics.output, "--dead-letter-topic", topics.dead_letter,
        "--audit-topic", topics.audit, "--roll-seconds", "2", "--create-topics",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)


def links(n_entries: int) -> set[str]:
    return {f"http://example.org/{f}/{e}" for f in range(FEEDS) for e in range(n_entries)}


def test_stream_pipeline_and_poller_ride_out_a_broker_restart(tmp_path: Path) -> None:
    broker = BrokerCli(tmp_path / "broker-state", free_port())
    broker.start()
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
    topics = TopicSettings(raw="raw-sr", output="items-sr", dead_letter="dlq-sr", audit="aud-sr")
    out, state = tmp_path / "out", tmp_path / "poller.sqlite3"
    loop = pipe = None
    try:
        with DevServer() as srv:
            store = StateStore(state)
            for f in range(FEEDS):
                srv.put(f"f{f}.xml", rss(f, ENTRIES))
                store.add_feed(srv.url_for(f"f{f}.xml"), int(time.time() * 1000))
            store.close()
            loop = start_loop(
                kafka, topics, state, tmp_path / "loop.log",
                *("--workers", "4", "--interval", "2s", "--min-interval", "1s", "--lease", "5s"),
            )  # fmt: skip
            pipe = start_pipeline(kafka, topics, out, tmp_path / "pipeline.log")
            wait_until(
                "the first entries out", lambda: set(output_uris(kafka, topics.output)) >= links(ENTRIES), 240
            )
            # offsets are committed when a chunk's bundle is finalized, after its records are written: wait for it
            offsets_before = wait_until(
                "the first offsets committed", lambda: committed(kafka, topics.raw), 60
            )

            for pid, _exe in broker.tree():  # the whole tree, as a crash or an OOM kill would
                os.kill(pid, signal.SIGKILL)
            broker.proc.wait()
            broker_down = time.monotonic()
            broker_start_s = broker.start()
            for f in range(FEEDS):
                srv.put(f"f{f}.xml", rss(f, ENTRIES + ADDED))
            everything = links(ENTRIES + ADDED)
            wait_until("every entry out", lambda: set(output_uris(kafka, topics.output)) >= everything, 300)
            recovery_s = time.monotonic() - broker_down
            alive = (loop.poll() is None, pipe.poll() is None)
            # commits resume after the restart: every raw record read is committed (the listed end is <= the true end)
            raw_end = end_offset(kafka, topics.raw)
            offsets_after = wait_until(
                f"offsets committed up to the raw topic's end ({raw_end}) after the restart",
                lambda: (n := committed(kafka, topics.raw)) >= max(raw_end, offsets_before) and n,
                60,
            )
            pipe.send_signal(signal.SIGTERM)
            pipe_rc = pipe.wait(timeout=120)
            loop_rc = stop_loop(loop)
    finally:
        for proc in (pipe, loop):
            if proc is not None and proc.poll() is None:
                proc.kill()
        broker.stop_quietly()
    broker.start()  # the data must also be there after a clean restart: read it for the checks below
    try:
        uris = output_uris(kafka, topics.output)
        ids = output_ids(kafka, topics.output)
        in_files = file_ids(out)
    finally:
        broker.stop_quietly()
    new = everything - links(ENTRIES)
    twice = {u: n for u, n in uris.items() if n > 1}
    print(
        f"\nbroker SIGKILL + restart under run --mode stream and poll --loop: entries {len(everything)}, out "
        f"{len(uris)} distinct ({sum(uris.values())} records), lost {len(everything - set(uris))}, out twice "
        f"{len(twice)} ({len(twice.keys() & new)} of them polled after the restart); broker back in "
        f"{broker_start_s:.1f}s, every entry out {recovery_s:.1f}s after the kill; committed raw offsets "
        f"{offsets_before} -> {offsets_after}; alive (poller, pipeline) {alive}; exit codes pipeline {pipe_rc}, "
        f"poller {loop_rc}; files vs topic difference {sum(((ids - in_files) + (in_files - ids)).values())}"
    )
    assert alive == (True, True) and pipe_rc == 0 and loop_rc == 0
    assert set(uris) == everything
    assert not (twice.keys() & new), twice  # entries polled after the restart come out exactly once
    assert offsets_after >= offsets_before > 0  # committed offsets survived the restart
    assert in_files == ids  # every record of the topic in a finished file, nothing else


def test_broker_killed_while_the_stream_pipeline_is_busy(tmp_path: Path) -> None:
    """The kill lands while the pipeline is writing a backlog: its sends in flight wait for the broker (the producer
    retries them, or the sink re-sends the bundle with a new producer: test_sink_outage.py), reads and commits resume
    when it is back, and nothing is lost."""
    from bench.bench_drain import generate, produce

    broker = BrokerCli(tmp_path / "broker-state", free_port())
    broker.start()
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
    topics = TopicSettings(raw="raw-busy", output="items-busy", dead_letter="dlq-busy", audit="aud-busy")
    entries = generate(600)
    produce(kafka, topics.raw, entries)
    out, pipe = tmp_path / "out", None
    try:
        pipe = start_pipeline(kafka, topics, out, tmp_path / "pipeline.log")
        wait_until(
            "a third of the backlog out", lambda: sum(output_uris(kafka, topics.output).values()) >= 200, 240
        )
        for pid, _exe in broker.tree():
            os.kill(pid, signal.SIGKILL)
        broker.proc.wait()
        killed = time.monotonic()
        broker.start()
        wanted = {e.link for e in entries}
        wait_until("the whole backlog out", lambda: set(output_uris(kafka, topics.output)) >= wanted, 300)
        recovery_s = time.monotonic() - killed
        alive = pipe.poll() is None
        pipe.send_signal(signal.SIGTERM)
        rc = pipe.wait(timeout=120)
        uris, ids, in_files = (
            output_uris(kafka, topics.output),
            output_ids(kafka, topics.output),
            file_ids(out),
        )
    finally:
        if pipe is not None and pipe.poll() is None:
            pipe.kill()
        broker.stop_quietly()
    log = (tmp_path / "pipeline.log").read_text()
    print(
        f"\nbroker SIGKILL while run --mode stream writes a backlog: in {len(wanted)}, out {len(uris)} distinct "
        f"({sum(uris.values())} records), lost {len(wanted - set(uris))}; all out {recovery_s:.1f}s after the "
        f"kill; waited for the broker {log.count('waiting for the broker')} times; alive {alive}; exit code {rc}; "
        f"files vs topic difference {sum(((ids - in_files) + (in_files - ids)).values())}"
    )
    assert alive and rc == 0
    assert set(uris) == wanted
    assert in_files == ids
