"""Pure-Python Kafka IO for Beam (kafka-python): a Splittable DoFn source and a producer sink.

Source in: topics + consumer group.  Out: ``KafkaRecord`` elements timestamped with the record time.  One element
per (topic, partition) carries an ``OffsetRange`` restriction starting at the group's committed offset.  Each
``process()`` call reads a bounded chunk, then defers the remainder, so every chunk is its own bundle: offsets are
committed by a bundle finalizer, i.e. only after the fused read -> ... -> write stage has flushed (at-least-once).

``drain`` mode ends a partition when a fetch returns nothing and the position has reached the broker's reported end
(tansu under-reports end offsets, so the end offset alone is never trusted).  ``stream`` mode keeps reading until the
stop flag is set (SIGINT/SIGTERM handler, or an idle timeout), then claims the restriction's end and finishes cleanly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Duration

from pipeline.bus.client import consumer_config, make_producer, wait_for_partitions
from pipeline.model import KafkaRecord
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)

MAX_OFFSET = 2**63 - 1
# Set by the CLI's SIGINT/SIGTERM handler: readers claim their end and the pipeline finishes after flushing.
STOP = threading.Event()


@dataclass(frozen=True)
class PartitionSpec:
    topic: str
    partition: int
    start_offset: int


@dataclass(frozen=True)
class ReadConfig:
    kafka: KafkaSettings
    group_id: str
    mode: str = "drain"  # drain | stream
    max_records_per_chunk: int = 5000
    max_chunk_s: float = 1.0
    poll_timeout_ms: int = 500
    idle_stop_s: float | None = None  # stream mode: finish after this long without a record


class DiscoverPartitions(beam.DoFn):
    """Impulse -> one ``PartitionSpec`` per partition, starting at the group's committed offset (else earliest)."""

    def __init__(self, cfg: ReadConfig, topics: tuple[str, ...]):
        self.cfg = cfg
        self.topics = topics

    def process(self, _: Any) -> Iterator[PartitionSpec]:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**consumer_config(self.cfg.kafka, group_id=self.cfg.group_id))
        try:
            tps = []
            for topic in self.topics:
                parts = wait_for_partitions(consumer, topic)
                tps.extend(TopicPartition(topic, p) for p in sorted(parts))
            beginnings = consumer.beginning_offsets(tps) if tps else {}
            for tp in tps:
                committed = consumer.committed(tp)
                start = committed if committed is not None else beginnings.get(tp, 0)
                yield PartitionSpec(tp.topic, tp.partition, max(int(start), int(beginnings.get(tp, 0))))
        finally:
            consumer.close(autocommit=False)


class _PartitionRestrictions(RestrictionProvider):
    def initial_restriction(self, spec: PartitionSpec) -> OffsetRange:
        return OffsetRange(spec.start_offset, MAX_OFFSET)

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return OffsetRestrictionTracker(restriction)

    def restriction_size(self, spec: PartitionSpec, restriction: OffsetRange) -> int:
        # The true backlog needs a broker round trip; report a nominal size so runners do not split blindly.
        return 1

    def split(self, spec: PartitionSpec, restriction: OffsetRange) -> Iterable[OffsetRange]:
        yield restriction  # one reader per partition: Kafka ordering within a partition is kept


class _UnboundedTracker(OffsetRestrictionTracker):
    def is_bounded(self) -> bool:
        return False


class _UnboundedRestrictions(_PartitionRestrictions):
    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return _UnboundedTracker(restriction)


class _ReadPartitionBase(beam.DoFn):
    """Reads one partition chunk by chunk; see the module docstring for the stop rules."""

    def __init__(self, cfg: ReadConfig, clock: Callable[[], float] = time.monotonic):
        self.cfg = cfg
        self.clock = clock
        self.records = Metrics.counter("kafka_read", "records")
        self.commits = Metrics.counter("kafka_read", "commits")

    def setup(self) -> None:
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            **consumer_config(
                self.cfg.kafka,
                group_id=self.cfg.group_id,
                max_poll_records=min(self.cfg.max_records_per_chunk, 2000),
                fetch_max_wait_ms=200,
            )
        )
        self._idle_since: dict[tuple[str, int], float] = {}

    def teardown(self) -> None:
        consumer = getattr(self, "consumer", None)
        if consumer is not None:
            consumer.close(autocommit=False)

    def _read(self, spec: PartitionSpec, tracker: OffsetRestrictionTracker, finalizer: Any) -> Iterator[Any]:
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        tp = TopicPartition(spec.topic, spec.partition)
        start = tracker.current_restriction().start
        if self.consumer.assignment() != {tp}:
            self.consumer.assign([tp])
        self.consumer.seek(tp, start)
        next_offset = start
        emitted = 0
        chunk_deadline = self.clock() + self.cfg.max_chunk_s
        key = (spec.topic, spec.partition)
        while True:
            if STOP.is_set():
                tracker.try_claim(MAX_OFFSET)  # claim the end: the restriction is done, nothing is deferred
                break
            batch = self.consumer.poll(timeout_ms=self.cfg.poll_timeout_ms).get(tp, [])
            for msg in batch:
                if msg.offset < next_offset:
                    continue
                if not tracker.try_claim(msg.offset):
                    return
                next_offset = msg.offset + 1
                emitted += 1
                yield beam.window.TimestampedValue(
                    KafkaRecord(
                        msg.topic,
                        msg.partition,
                        msg.offset,
                        msg.key,
                        msg.value,
                        msg.timestamp,
                    ),
                    max(msg.timestamp, 0) / 1000.0,
                )
            if batch:
                self._idle_since.pop(key, None)
            elif self._finished_when_idle(tp, next_offset, key):
                tracker.try_claim(MAX_OFFSET)
                break
            chunk_full = emitted >= self.cfg.max_records_per_chunk or self.clock() >= chunk_deadline
            if chunk_full and (emitted or not batch):
                tracker.defer_remainder(Duration.of(0.05 if batch else 0.5))
                break
        self.records.inc(emitted)
        if next_offset > start:
            commit_to = next_offset

            def commit() -> None:
                self.consumer.commit({tp: OffsetAndMetadata(commit_to, "", -1)})
                self.commits.inc()

            finalizer.register(commit)

    def _finished_when_idle(self, tp: Any, position: int, key: tuple[str, int]) -> bool:
        now = self.clock()
        first_idle = self._idle_since.setdefault(key, now)
        if self.cfg.mode == "drain":
            end = self.consumer.end_offsets([tp]).get(tp, 0)
            return position >= end
        return self.cfg.idle_stop_s is not None and now - first_idle >= self.cfg.idle_stop_s


class _ReadBoundedPartition(_ReadPartitionBase):
    def process(
        self,
        spec: PartitionSpec,
        finalizer: Any = beam.DoFn.BundleFinalizerParam,
        tracker: OffsetRestrictionTracker = beam.DoFn.RestrictionParam(_PartitionRestrictions()),
    ) -> Iterator[Any]:
        yield from self._read(spec, tracker, finalizer)


@beam.DoFn.unbounded_per_element()
class _ReadUnboundedPartition(_ReadPartitionBase):
    def process(
        self,
        spec: PartitionSpec,
        finalizer: Any = beam.DoFn.BundleFinalizerParam,
        tracker: OffsetRestrictionTracker = beam.DoFn.RestrictionParam(_UnboundedRestrictions()),
    ) -> Iterator[Any]:
        yield from self._read(spec, tracker, finalizer)


class ReadFromKafkaPy(beam.PTransform):
    """Read topics as ``KafkaRecord``s with committed-offset resume; bounded in drain mode, unbounded in stream."""

    def __init__(self, cfg: ReadConfig, topics: Iterable[str]):
        super().__init__()
        self.cfg = cfg
        self.topics = tuple(topics)

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        reader = _ReadUnboundedPartition if self.cfg.mode == "stream" else _ReadBoundedPartition
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "DiscoverPartitions" >> beam.ParDo(DiscoverPartitions(self.cfg, self.topics))
            | "SpreadPartitions" >> beam.Reshuffle()
            | "ReadPartitions" >> beam.ParDo(reader(self.cfg)).with_output_types(KafkaRecord)
        )


class _ProduceFn(beam.DoFn):
    """Send ``(key, value)`` pairs; flush and surface delivery errors at bundle end so failures retry the bundle."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        self.kafka = kafka
        self.topic = topic
        self.sent = Metrics.counter("kafka_write", f"sent_{topic}")

    def setup(self) -> None:
        self.producer = make_producer(self.kafka)

    def start_bundle(self) -> None:
        self.pending: list[Any] = []

    def process(self, kv: tuple[bytes | None, bytes]) -> None:
        key, value = kv
        self.pending.append(self.producer.send(self.topic, key=key, value=value))

    def finish_bundle(self) -> None:
        self.producer.flush()
        for fut in self.pending:
            fut.get(timeout=30)  # raises on a delivery failure: the bundle is retried, nothing is lost
        self.sent.inc(len(self.pending))
        self.pending = []

    def teardown(self) -> None:
        producer = getattr(self, "producer", None)
        if producer is not None:
            producer.close(timeout=10)


class WriteToKafkaPy(beam.PTransform):
    """Write ``(key, value)`` byte pairs to one topic with an idempotent, acks=all producer."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        super().__init__()
        self.kafka = kafka
        self.topic = topic

    def expand(self, pcoll: beam.PCollection[tuple[bytes | None, bytes]]) -> beam.PCollection[None]:
        return pcoll | "Produce" >> beam.ParDo(_ProduceFn(self.kafka, self.topic))
