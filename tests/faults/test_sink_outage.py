"""The Kafka sink step under a broker outage, on the real broker: the bundle waits, rebuilds its producer and lands.

The broker (memory storage, so the restarted one has lost the producer's idempotence session and the topic) is
SIGKILLed after the step sent part of a bundle, and restarted a few seconds later on the same port.  The step's
``finish_bundle`` must not raise: it waits with back-off, rebuilds the producer and re-sends until every record of
the bundle is acknowledged by the new broker.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from pipeline.bus.broker import EmbeddedBroker, free_port
from pipeline.bus.client import ensure_topics
from pipeline.dlq.read import read_bounded
from pipeline.io.kafka.sink import _ProduceFn
from pipeline.settings import KafkaSettings


def test_a_bundle_survives_a_broker_restart_that_lost_its_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    first = EmbeddedBroker(port=port, storage="memory", state_dir=tmp_path / "b1").start()
    second = None
    try:
        ensure_topics(kafka, ["out"])
        fn = _ProduceFn(kafka, "out")
        fn.setup()
        fn.start_bundle()
        fn.process((b"k0", b"before the outage"))
        fn.finish_bundle()  # the producer now has a session and the topic's metadata

        fn.start_bundle()
        for i in range(1, 21):
            fn.process((f"k{i}".encode(), f"record {i}".encode()))
        first.proc.kill()  # SIGKILL while the bundle's sends are in flight
        first.proc.wait()
        done, errors = threading.Event(), []

        def finish() -> None:
            try:
                fn.finish_bundle()
            except Exception as exc:  # reported by the assertion below
                errors.append(exc)
            done.set()

        caplog.set_level(logging.WARNING, logger="pipeline.io.kafka.sink")
        t0 = time.monotonic()
        threading.Thread(target=finish, daemon=True).start()
        assert not done.wait(3.0), "finish_bundle returned while the broker was down"
        second = EmbeddedBroker(port=port, storage="memory", state_dir=tmp_path / "b2").start()
        assert done.wait(240), "the bundle never landed after the broker came back"
        took = time.monotonic() - t0
        assert not errors, errors
        values = sorted(r.value for r in read_bounded(kafka, "out"))
    finally:
        for b in (first, second):
            if b is not None:
                b.stop()
    waits = [r for r in caplog.records if "waiting for the broker" in r.getMessage()]
    print(f"\nsink bundle across a broker restart: landed {took:.1f}s after the kill, {len(waits)} waits")
    wanted = sorted(f"record {i}".encode() for i in range(1, 21))
    assert sorted(set(values)) == wanted  # every record of the bundle on the new broker (a repeat is allowed)
    assert waits  # it said it was waiting
