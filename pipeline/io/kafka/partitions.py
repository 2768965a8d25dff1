"""Kafka partition discovery for the Beam source: which (topic, partition)s to read, and from which offset.

In: topics and the consumer group (``ReadConfig``).  Out: one ``PartitionSpec`` per partition, starting at the group's
committed offset (else the earliest), plus one ``WatchSpec`` per topic in stream mode; ``WatchNewPartitions`` turns a
watch into ``PartitionSpec``s for partitions added while the job runs (a splittable DoFn over partition ids, no
GroupByKey).  The readers themselves are in ``source.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Duration

from pipeline.bus.client import consumer_config, wait_for_partitions
from pipeline.io.kafka.specs import MAX_OFFSET, STOP, PartitionSpec, ReadConfig, WatchSpec

log = logging.getLogger(__name__)


def _start_offset(consumer: Any, tp: Any, beginning: int) -> int:
    committed = consumer.committed(tp)
    start = committed if committed is not None else beginning
    return max(int(start), int(beginning))


class DiscoverPartitions(beam.DoFn):
    """Impulse -> one ``PartitionSpec`` per partition, starting at the group's committed offset (else earliest).

    In stream mode also one ``WatchSpec`` per topic from the same listing, so no partition is missed or read twice.
    """

    def __init__(self, cfg: ReadConfig, topics: tuple[str, ...]):
        self.cfg = cfg
        self.topics = topics

    def process(self, _: Any) -> Iterator[PartitionSpec | WatchSpec]:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**consumer_config(self.cfg.kafka, group_id=self.cfg.group_id))
        try:
            tps = []
            for topic in self.topics:
                parts = wait_for_partitions(consumer, topic)
                tps.extend(TopicPartition(topic, p) for p in sorted(parts))
                if self.cfg.mode == "stream":
                    yield WatchSpec(topic, max(parts) + 1)
            beginnings = consumer.beginning_offsets(tps) if tps else {}
            for tp in tps:
                yield PartitionSpec(
                    tp.topic, tp.partition, _start_offset(consumer, tp, beginnings.get(tp, 0))
                )
        finally:
            consumer.close(autocommit=False)


class _PartitionIdTracker(OffsetRestrictionTracker):
    def is_bounded(self) -> bool:
        return False


class _PartitionIds(RestrictionProvider):
    """A ``WatchSpec``'s restriction: the partition ids not claimed yet, [known, MAX)."""

    def initial_restriction(self, spec: WatchSpec) -> OffsetRange:
        return OffsetRange(spec.known, MAX_OFFSET)

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return _PartitionIdTracker(restriction)

    def restriction_size(self, spec: WatchSpec, restriction: OffsetRange) -> int:
        return 0  # no records behind a watcher

    def truncate(self, spec: WatchSpec, restriction: OffsetRange) -> None:
        return None


class WatchNewPartitions(beam.DoFn):
    """``WatchSpec`` -> a ``PartitionSpec`` for each partition added to the topic while the job runs.

    Claims partition ids in order (Kafka only ever appends partitions), so a restart resumes after the last one
    handed out.  Stops on the stop flag, or after ``idle_stop_s`` without a new partition.
    """

    def __init__(self, cfg: ReadConfig, clock: Callable[[], float] = time.monotonic):
        self.cfg = cfg
        self.clock = clock
        self.found = Metrics.counter("kafka_read", "new_partitions")

    def setup(self) -> None:
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(**consumer_config(self.cfg.kafka, group_id=self.cfg.group_id))
        self._quiet_since: dict[str, float] = {}

    def teardown(self) -> None:
        consumer = self.__dict__.pop("consumer", None)
        if consumer is not None:
            consumer.close(autocommit=False)

    @beam.DoFn.unbounded_per_element()  # Beam reads it from the bound process method, not the class
    def process(
        self, spec: WatchSpec, tracker: OffsetRestrictionTracker = beam.DoFn.RestrictionParam(_PartitionIds())
    ) -> Iterator[PartitionSpec]:
        from kafka import TopicPartition

        if STOP.is_set():
            tracker.try_claim(MAX_OFFSET)
            return
        first_unclaimed = tracker.current_restriction().start
        self.consumer.topics()  # forces a metadata refresh; partitions_for_topic reads the cache
        parts = sorted(
            p for p in (self.consumer.partitions_for_topic(spec.topic) or ()) if p >= first_unclaimed
        )
        now = self.clock()
        if parts:
            self._quiet_since[spec.topic] = now
            tps = [TopicPartition(spec.topic, p) for p in parts]
            beginnings = self.consumer.beginning_offsets(tps)
            for tp in tps:
                if not tracker.try_claim(tp.partition):
                    return
                self.found.inc()
                yield PartitionSpec(
                    tp.topic, tp.partition, _start_offset(self.consumer, tp, beginnings.get(tp, 0))
                )
        quiet_since = self._quiet_since.setdefault(spec.topic, now)
        if self.cfg.idle_stop_s is not None and now - quiet_since >= self.cfg.idle_stop_s:
            tracker.try_claim(MAX_OFFSET)
            return
        interval = self.cfg.discovery_interval_s
        if self.cfg.idle_stop_s is not None:
            interval = min(
                interval, self.cfg.idle_stop_s / 2
            )  # check the stop rule at least twice per window
        tracker.defer_remainder(Duration.of(interval))
