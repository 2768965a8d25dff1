"""An acknowledged record survives a broker crash: the project's producer against the durable embedded broker.

A producer sends numbered records without pause while the broker's whole process tree (tansu and SeaweedFS) is
SIGKILLed and restarted, twice.  Every record the producer saw acknowledged must be on the topic afterwards.

This is the fault behind a lost backlog in test_stream_broker_restart.py: tansu's S3 engine stores an idempotent
batch's producer sequence before the batch, so a crash between the two made the retry of that batch come back as
DUPLICATE_SEQUENCE_NUMBER, which Kafka clients count as written (32 of 600 records were missing).  The producer
settings' ``auto`` idempotence turns idempotence off on tansu (pipeline/bus/client.py); the second test checks it
is on for a broker that is not tansu (and for the embedded memory broker), so production Kafka keeps its
idempotent producers.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from kafka import KafkaConsumer

from pipeline.bus.children import free_port
from pipeline.bus.client import ensure_topics, idempotent, make_producer
from pipeline.settings import KafkaSettings
from tests.faults.support import BrokerCli, wait_until

TOPIC = "acks"
KILLS = 2


class Sender:
    """Send numbered records until stopped; remember which ones the broker acknowledged."""

    def __init__(self, kafka: KafkaSettings):
        self.producer = make_producer(kafka, max_block_ms=2000)
        self.acked: set[int] = set()
        self.failed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _ok(self, n: int) -> None:
        with self.lock:
            self.acked.add(n)

    def _failed(self, _exc: BaseException) -> None:
        with self.lock:
            self.failed += 1

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            try:
                fut = self.producer.send(TOPIC, value=str(n).encode(), partition=0)
            except Exception:  # metadata unavailable while the broker is down: try the next number
                n += 1
                continue
            fut.add_callback(lambda _md, n=n: self._ok(n))
            fut.add_errback(self._failed)
            n += 1
            if n % 20 == 0:
                self.stop.wait(0.005)  # small batches, many produce requests: a kill lands inside one

    def count(self) -> int:
        with self.lock:
            return len(self.acked)

    def finish(self) -> set[int]:
        self.stop.set()
        self.thread.join(timeout=30)
        self.producer.flush(timeout=120)
        self.producer.close(timeout=10)
        with self.lock:
            return set(self.acked)


def on_topic(kafka: KafkaSettings) -> set[int]:
    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        return {int(r.value) for r in consumer}
    finally:
        consumer.close()


def test_acknowledged_records_survive_broker_sigkill(tmp_path: Path) -> None:
    broker = BrokerCli(tmp_path / "broker-state", free_port())
    broker.start()
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
    try:
        ensure_topics(kafka, [TOPIC])
        sender = Sender(kafka)
        sender.thread.start()
        for kill in range(KILLS):
            before = sender.count()
            wait_until(
                "records acknowledged before the kill", lambda b=before: sender.count() >= b + 500, 120
            )
            for pid, _exe in broker.tree():
                os.kill(pid, signal.SIGKILL)
            broker.proc.wait()
            broker.start()
            after_kill = sender.count()
            wait_until(
                f"records acknowledged after restart {kill + 1}",
                lambda a=after_kill: sender.count() >= a + 500,
                180,
            )
        acked = sender.finish()
        stored = on_topic(kafka)
    finally:
        broker.stop_quietly()
    lost = acked - stored
    print(
        f"\n{KILLS} broker SIGKILLs under a busy producer (idempotent: {idempotent(kafka)}): acknowledged "
        f"{len(acked)}, on the topic {len(stored)}, acknowledged but missing {len(lost)}, failed sends "
        f"{sender.failed}"
    )
    assert acked and not lost, sorted(lost)[:20]


def test_auto_idempotence_is_off_on_tansu_only(tmp_path: Path) -> None:
    """``auto`` asks the cluster id: off for tansu's (``tansu_cluster``), on for the embedded memory broker's and for
    any other; ``on``/``off`` are taken as set; a broker nobody can reach gives off."""
    from pipeline.bus.broker import EmbeddedBroker, broker_binary
    from pipeline.bus.children import spawn, stop, wait_for_port

    def tansu(cluster_id: str | None) -> tuple[object, KafkaSettings]:
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        cmd = [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        cmd += ["--storage-engine", "memory://tansu/"] + (["--cluster-id", cluster_id] if cluster_id else [])
        proc = spawn(cmd, log=tmp_path / f"tansu-{port}.log")
        wait_for_port("127.0.0.1", port, proc=proc)
        return proc, KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")

    def producer_idempotence(kafka: KafkaSettings) -> bool:
        producer = make_producer(kafka)
        try:
            return producer.config["enable_idempotence"]
        finally:
            producer.close(timeout=5)

    plain, kafka = tansu(None)  # tansu's default cluster id, as the durable embedded broker has
    try:
        assert idempotent(kafka) is False
        assert producer_idempotence(kafka) is False
        assert idempotent(kafka.model_copy(update={"idempotence": "on"})) is True
    finally:
        stop(plain)
    other, kafka = tansu("q1Ww8xXGRsS2Xc3bBqzmYA")  # a cluster id like Apache Kafka's
    try:
        assert idempotent(kafka) is True
        assert producer_idempotence(kafka) is True
        assert idempotent(kafka.model_copy(update={"idempotence": "off"})) is False
    finally:
        stop(other)
    with EmbeddedBroker(state_dir=tmp_path / "memory", storage="memory") as memory:
        assert idempotent(KafkaSettings(bootstrap_servers=memory.bootstrap_servers)) is True
    down = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    assert idempotent(down) is False  # nobody to ask: not idempotent this time
