"""Pure-Python Kafka sink for Beam: ``(key, value)`` byte pairs -> one topic, ``acks=all`` producer (bus/client.py).

One producer per worker process and Kafka settings, shared by every sink step (output, audit, dead letters): the
pipeline writes to several topics from one fused stage, and kafka-python producers are thread-safe.  Each step
flushes at ``finish_bundle`` and checks its own sends, so the source's bundle finalizer commits offsets only after
every write of the bundle is acknowledged: at-least-once.

Two kinds of failure, two answers:

* the record itself is refused (larger than the broker or topic accepts, corrupt): it becomes a dead letter with
  the reason (original bytes capped, see failures.py) and the bundle goes on; a record never stops the pipeline;
* the broker is unreachable, restarting or lost the producer's idempotence session: the step waits with capped
  back-off (a log line and the ``kafka_write/broker_waits`` counter say so), rebuilds the shared producer when its
  session is gone, and sends the bundle's undelivered records again, until they are acknowledged.  It gives up
  (the pipeline fails, nothing is committed, nothing lost) only when asked to stop during an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from pipeline.bus.client import make_producer
from pipeline.bus.retry import Backoff, is_record_refused
from pipeline.io.kafka.specs import STOP
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)
_SHARED = shared.Shared()
# Every handle of this process not yet closed.  Strong references: a handle whose steps are gone still has its
# producer's network thread (and socket) running, so it is kept to be closed (``close_shared_producers``).
_OPEN: set[ProducerHandle] = set()
_OPEN_LOCK = threading.Lock()
_EPOCH = [0]  # part of the shared tag: a run's end (close_shared_producers) makes the next run build new ones
STOP_GRACE_S = 60.0  # after a stop request, how long a bundle keeps waiting for the broker before failing
LINGER_MS = 50  # the producer's linger and batch size (ProducerHandle._make says why)
BATCH_BYTES = 512 * 1024


class ProducerHandle:
    """What ``Shared`` keeps alive per process: the producer, and its replacement after a lost session."""

    def __init__(self, kafka: KafkaSettings, max_request_size: int):
        self.kafka, self.max_request_size = kafka, max_request_size
        self.lock = threading.Lock()
        self.generation = 0
        self.producer = self._make()

    def _make(self) -> Any:
        # max_block_ms: a send waits this long for metadata when the broker is down (then the bundle backs off).
        # linger/batch_size: a bundle's records go out in a few large produce requests instead of one or two per
        # request (less CPU here and in the broker); finish_bundle's flush sends what lingers at once, so a
        # bundle's end, its offset commit and stream latency do not wait for linger_ms.
        return make_producer(
            self.kafka,
            max_request_size=self.max_request_size + 64 * 1024,
            max_block_ms=5000,
            linger_ms=LINGER_MS,
            batch_size=BATCH_BYTES,
        )

    def close(self, timeout_s: float) -> None:
        with self.lock:
            try:
                self.producer.close(timeout=timeout_s)
            except Exception:  # closing a producer of a dead broker may raise anything
                log.debug("closing the producer failed", exc_info=True)

    def rebuild(self, generation: int) -> None:
        """Replace the producer once per failure, however many steps saw it fail (``generation`` they used)."""
        with self.lock:
            if generation != self.generation:
                return
            old = self.producer
            self.producer = self._make()
            self.generation += 1
        try:
            old.close(timeout=1)
        except Exception:  # closing a producer of a dead broker may raise anything
            log.debug("closing the old producer failed", exc_info=True)


def shared_producer(kafka: KafkaSettings, max_request_size: int = 1_000_000) -> ProducerHandle:
    tag = f"producer:{_EPOCH[0]}:{max_request_size}:{kafka.model_dump_json()}"
    return _SHARED.acquire(lambda: _opened(ProducerHandle(kafka, max_request_size)), tag=tag)


def _opened(handle: ProducerHandle) -> ProducerHandle:
    with _OPEN_LOCK:
        _OPEN.add(handle)
    return handle


def close_shared_producers(timeout_s: float = 10.0) -> int:
    """At the end of a local run (``beam.run``), in the process that ran it: close the producers its steps shared
    and return how many.  Nothing is lost: every step's ``finish_bundle`` waited for its records' acknowledgements,
    and ``close`` sends whatever still lingers.  Left open, each kept a socket to the broker and a network thread:
    the embedded broker then waited 5 s for that connection at every stop (``news-pipeline demo`` idled 5 s before
    exiting), and in a process that runs pipelines again the idle thread could spin (docs/performance.md, eighth
    pass).  A later run in this process gets new producers (the shared tag changes)."""
    with _OPEN_LOCK:
        _EPOCH[0] += 1
        handles = list(_OPEN)
        _OPEN.clear()
    for handle in handles:
        handle.close(timeout_s)
    return len(handles)


class _ProduceFn(beam.DoFn):
    """Send pairs asynchronously; at bundle end wait until each is acknowledged or dead-lettered."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        dead_letter_topic: str | None = None,
        max_record_bytes: int = 1_000_000,
    ):
        self.kafka = kafka
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.max_record_bytes = max_record_bytes
        self.sent = Metrics.counter("kafka_write", f"sent_{topic}")
        self.refused = Metrics.counter("kafka_write", f"refused_{topic}")
        self.waits = Metrics.counter("kafka_write", "broker_waits")

    def setup(self) -> None:
        self.handle = shared_producer(self.kafka, self.max_record_bytes)

    def start_bundle(self) -> None:
        self.pending: list[tuple[bytes | None, bytes, Any]] = []
        self.broken = False  # a send already failed in this bundle: keep the rest for finish_bundle

    def process(self, kv: tuple[bytes | None, bytes]) -> None:
        key, value = kv
        self.pending.append((key, value, None if self.broken else self._send(self.topic, key, value)))

    def _send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        try:
            return self.handle.producer.send(topic, key=key, value=value)
        except Exception as exc:  # sorted out in finish_bundle
            if not is_record_refused(exc):
                self.broken = True
            return exc

    def finish_bundle(self) -> None:
        if not self.pending:
            return
        backoff = Backoff()
        todo = self.pending
        while todo:
            generation = self.handle.generation
            # Send what is not in flight; once a send failed (broker away), keep the rest for the next round
            # instead of blocking max_block_ms on every record.
            todo = [
                (k, v, f if f is not None or self.broken else self._send(self.topic, k, v))
                for k, v, f in todo
            ]
            try:
                self.handle.producer.flush(timeout=30)
            except Exception:  # per-record outcomes below say what happened
                log.debug("flush failed", exc_info=True)
            retry, last = [], None
            for key, value, fut in todo:
                exc = _outcome(fut)
                if exc is None:
                    self.sent.inc()
                elif is_record_refused(exc):
                    self._dead_letter(key, value, exc)
                else:
                    retry.append((key, value, None))
                    last = exc
            if not retry:
                break
            if STOP.is_set() and backoff.waited_s >= STOP_GRACE_S:
                raise RuntimeError(
                    f"stopping during a broker outage: {len(retry)} records not delivered ({last})"
                )
            self.waits.inc()
            log.warning(
                "kafka sink %s: %d records not acknowledged (%s: %s); waiting for the broker, retry in %.1fs",
                self.topic,
                len(retry),
                type(last).__name__,
                last,
                backoff.next_s,
            )
            backoff.sleep()
            # A new producer each time: the old one's session may be gone (UnknownProducerId after a broker
            # restart) and closing it drops its stale batches, so a retry never piles up copies of a record.
            self.handle.rebuild(generation)
            self.broken, todo = False, retry
        self.pending = []

    def _dead_letter(self, key: bytes | None, value: bytes, exc: BaseException) -> None:
        """A record the broker refuses: the reason and (capped) bytes to the dead-letter topic."""
        self.refused.inc()
        if not self.dead_letter_topic:
            raise exc
        from pipeline import __version__
        from pipeline.avro.codec import encode_failure
        from pipeline.beam.failures import cap_original
        from pipeline.model import Failure

        original, note = cap_original(value)
        failure = Failure(
            stage="write",
            reason=f"{self.topic} refused a record of {len(value):,} bytes: {type(exc).__name__}: {exc}{note}"[
                :2000
            ],
            error_type=type(exc).__name__,
            original=original,
            failed_at_ms=int(time.time() * 1000),
            source_topic=None,
            source_partition=None,
            source_offset=None,
            source_key=key,
            pipeline_version=__version__,
        )
        fut = self.handle.producer.send(self.dead_letter_topic, key=key, value=encode_failure(failure))
        self.handle.producer.flush(timeout=30)
        fut.get(timeout=30)


class NotSent(Exception):
    """The record was kept back: an earlier send of the same round found the broker away."""


def _outcome(fut: Any) -> BaseException | None:
    if fut is None:
        return NotSent("kept back while the broker was away")
    if isinstance(fut, BaseException):
        return fut
    try:
        fut.get(timeout=0)
        return None
    except Exception as exc:  # classified by the caller
        return exc


class WriteToKafkaPy(beam.PTransform):
    """Write ``(key, value)`` byte pairs to one topic with an acks=all producer (idempotent off tansu)."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        dead_letter_topic: str | None = None,
        max_record_bytes: int = 1_000_000,
    ):
        super().__init__()
        self.kafka = kafka
        self.topic = topic
        self.dead_letter_topic = dead_letter_topic
        self.max_record_bytes = max_record_bytes

    def expand(self, pcoll: beam.PCollection[tuple[bytes | None, bytes]]) -> beam.PCollection[None]:
        fn = _ProduceFn(self.kafka, self.topic, self.dead_letter_topic, self.max_record_bytes)
        return pcoll | "Produce" >> beam.ParDo(fn)
