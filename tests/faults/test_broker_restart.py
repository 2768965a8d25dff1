"""The embedded broker under faults: ``news-pipeline broker`` as a real subprocess, killed and restarted.

Durable storage (the default) must bring back topics, partitions, every record (same offsets, same bytes) and committed
consumer-group offsets after the whole process tree is SIGKILLed; SIGTERM/SIGHUP must stop the children and remove
broker.json; a second broker over a live one must refuse in one line.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from pipeline.bus.children import free_port, pid_runs, port_open
from pipeline.bus.s3server import unix_sockets
from tests.faults.support import BrokerCli, wait_until

N_RECORDS = 600  # per topic
TOPICS = {"restart-a": 3, "restart-b": 1}  # name -> partitions
GROUP = "restart-group"


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Callable[..., BrokerCli]]:
    made: list[BrokerCli] = []

    def make(state: Path | None = None, port: int | None = None, storage: str = "s3") -> BrokerCli:
        b = BrokerCli(state or tmp_path / "state", port or free_port(), storage)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop_quietly()


def produce(bootstrap: str) -> list[tuple[str, int, int, bytes, bytes]]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(t, n, 1) for t, n in TOPICS.items()])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    sent = []
    for topic in TOPICS:
        for i in range(N_RECORDS):
            key, value = f"{topic}-{i}".encode(), os.urandom(8) + f"value {i} of {topic}".encode()
            sent.append((topic, key, value, producer.send(topic, key=key, value=value)))
    producer.flush()
    out = []
    for topic, key, value, fut in sent:
        md = fut.get(timeout=30)
        out.append((topic, md.partition, md.offset, key, value))
    producer.close()
    return sorted(out)


def read_all(
    bootstrap: str, expected: int, timeout_s: float = 60.0
) -> list[tuple[str, int, int, bytes, bytes]]:
    """Every record of TOPICS from the beginning, until ``expected`` are in or the deadline passes."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    consumer.assign([TopicPartition(t, p) for t, n in TOPICS.items() for p in range(n)])
    consumer.seek_to_beginning()
    got: dict[tuple[str, int, int], tuple[bytes, bytes]] = {}
    deadline = time.monotonic() + timeout_s
    while len(got) < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                got[(r.topic, r.partition, r.offset)] = (r.key, r.value)
    consumer.close()
    return sorted((t, p, o, k, v) for (t, p, o), (k, v) in got.items())


def commit_offset(bootstrap: str, tp: TopicPartition, offset: int) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    consumer.assign([tp])
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
    consumer.close()


def committed(bootstrap: str, tp: TopicPartition) -> int | None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    try:
        return consumer.committed(tp)
    finally:
        consumer.close()


def partitions(bootstrap: str) -> dict[str, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_topics(list(TOPICS))
    finally:
        admin.close()
    return {d["name"]: len(d["partitions"]) for d in described if not d.get("error_code")}


def gone(tree: list[tuple[int, str]]) -> bool:
    return not any(pid_runs(pid, exe) if exe else _alive(pid) for pid, exe in tree)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # a zombie is gone for our purpose


def test_sigkill_whole_tree_then_restart_keeps_topics_records_offsets(cli: Callable[..., BrokerCli]) -> None:
    broker = cli()
    first_start_s = broker.start()
    assert broker.info()["storage"] == "s3"
    before = produce(broker.bootstrap)
    assert len(before) == N_RECORDS * len(TOPICS)
    tp = TopicPartition("restart-a", 1)
    commit_offset(broker.bootstrap, tp, 123)
    committed_before = committed(broker.bootstrap, tp)
    read_before = read_all(broker.bootstrap, len(before))

    tree = broker.tree()
    assert len(tree) == 3, tree  # the CLI, tansu, SeaweedFS
    for pid, _ in tree:
        os.kill(pid, signal.SIGKILL)
    assert broker.proc is not None
    broker.proc.wait(timeout=10)
    wait_until("every process of the killed tree gone", lambda: gone(tree), 15)
    wait_until("the Kafka port closed", lambda: not port_open("127.0.0.1", broker.port), 15)
    assert broker.marker.exists(), (
        "SIGKILL cannot clean up: broker.json should still point at the dead broker"
    )

    recovery_s = broker.start()  # same state dir, same port: takes over from the dead broker.json
    parts_after = partitions(broker.bootstrap)
    read_after = read_all(broker.bootstrap, len(before))
    committed_after = committed(broker.bootstrap, tp)

    print(
        f"\nbroker restart after SIGKILL of the tree: records produced {len(before)}, "
        f"read before kill {len(read_before)}, read after restart {len(read_after)}; "
        f"committed offset before {committed_before}, after {committed_after}; partitions after {parts_after}; "
        f"first start {first_start_s:.1f}s, recovery (restart -> first metadata answer) {recovery_s:.1f}s"
    )
    assert parts_after == TOPICS
    assert read_before == before
    assert read_after == before
    assert committed_before == 123
    assert committed_after == committed_before

    # still writable after recovery: new records continue the offsets, nothing is overwritten
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    md = producer.send("restart-b", key=b"after", value=b"after restart").get(timeout=30)
    producer.close()
    assert md.offset == max(o for t, _, o, _, _ in before if t == "restart-b") + 1
    assert read_all(broker.bootstrap, len(before) + 1)[: len(before) + 1] == sorted(
        [*before, ("restart-b", 0, md.offset, b"after", b"after restart")]
    )


@pytest.mark.parametrize(("sig", "storage"), [(signal.SIGTERM, "s3"), (signal.SIGHUP, "memory")])
def test_signal_stops_children_and_removes_marker(
    cli: Callable[..., BrokerCli], sig: signal.Signals, storage: str
) -> None:
    broker = cli(storage=storage)
    broker.start()
    tree = broker.tree()
    assert len(tree) == (3 if storage == "s3" else 2), tree
    t0 = time.monotonic()
    assert broker.proc is not None
    broker.proc.send_signal(sig)
    rc = broker.proc.wait(timeout=30)
    print(f"\n{sig.name} ({storage}): CLI exited {rc} in {time.monotonic() - t0:.1f}s")
    assert rc == 0
    wait_until("children gone", lambda: gone(tree), 10)
    assert not broker.marker.exists()
    assert not port_open("127.0.0.1", broker.port)
    if storage == "s3":  # weed's Unix sockets in /tmp do not pile up run after run
        ports = json.loads((broker.state / "broker-data" / "ports.json").read_text())
        assert [p for p in unix_sockets(ports) if p.exists()] == []


def test_second_broker_over_a_live_one_refuses_in_one_line(
    cli: Callable[..., BrokerCli], tmp_path: Path
) -> None:
    first = cli(storage="memory")
    first.start()
    second = cli(state=first.state, storage="memory")
    proc = second.spawn()
    rc = proc.wait(timeout=30)
    output = (first.state.parent / f"{first.state.name}-cli.log").read_text().strip().splitlines()
    refusal = [line for line in output if "already running" in line]
    assert rc != 0
    assert len(refusal) == 1 and "Traceback" not in "\n".join(output), output
    assert (
        first.proc is not None and first.info()["pid"] == first.proc.pid
    )  # broker.json still names the first
    assert port_open("127.0.0.1", first.port)


def test_children_die_with_a_sigkilled_cli(cli: Callable[..., BrokerCli]) -> None:
    """Only the CLI is killed: its children must not live on (they used to, in their own session)."""
    broker = cli()
    broker.start()
    tree = broker.tree()
    assert broker.proc is not None
    broker.proc.kill()
    broker.proc.wait(timeout=10)
    t0 = time.monotonic()
    wait_until("children gone after the CLI was SIGKILLed", lambda: gone(tree), 15)
    print(f"\nchildren of a SIGKILLed CLI gone in {time.monotonic() - t0:.1f}s")
