"""Pure-Python Kafka source for Beam (kafka-python): a Splittable DoFn per partition (the sink is sink.py).

Source in: topics + consumer group.  Out: ``KafkaRecord`` elements timestamped with the record time.
``DiscoverPartitions`` lists the partitions once (one ``PartitionSpec`` each, starting at the group's committed
offset) and ``SpreadPartitions`` reshuffles them so each partition gets its own reader, spread over workers.  In
``stream`` mode the same listing also emits one ``WatchSpec`` per topic: ``WatchPartitions`` polls the topic's
metadata and emits only partition ids it has not claimed yet (its restriction is a range of partition ids, so no
state and no GroupByKey sits on the record path).

Each reader ``process()`` call reads a bounded chunk, then defers the remainder, so every chunk is its own bundle:
offsets are committed by a bundle finalizer, i.e. only after the fused read -> ... -> write stage has flushed
(at-least-once).  The tracker reports backlog (end offset - position) as its remaining work and
``restriction_size`` returns the same from a cached consumer, so Dataflow can autoscale on it.  A
``ManualWatermarkEstimator`` follows record timestamps; a partition that is caught up and idle advances its
watermark to wall time - ``idle_watermark_lag_s`` so one quiet partition does not hold the pipeline back.

``drain`` mode ends a partition as soon as its reader has emitted up to the high watermark of the last fetch response
for it (the true log end: ``SharedFetcher.fetched_to_end``), or else when a fetch returns nothing and the position has
reached the broker's listed end (tansu under-reports ListOffsets ends, so that end alone is never trusted).
``stream`` mode keeps reading until the stop flag is set (SIGINT/SIGTERM handler, or an idle timeout), then claims
the restriction's end and finishes cleanly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.iobase import RestrictionProgress
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.metrics import Metrics
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.utils.timestamp import Duration, Timestamp
from kafka.errors import KafkaError

from pipeline.bus.client import consumer_config
from pipeline.io.kafka.fetch import SharedFetcher
from pipeline.io.kafka.partitions import DiscoverPartitions, WatchNewPartitions
from pipeline.io.kafka.specs import MAX_OFFSET, STOP, PartitionSpec, ReadConfig, WatchSpec
from pipeline.model import KafkaRecord

log = logging.getLogger(__name__)
# The consumers that size restrictions (``end_offset``), open ones only: the runner asks a DoFn instance that may
# never be set up or torn down, so a local run closes them at its end (``close_sizers``).  Strong references: an
# instance dropped without teardown leaves its consumer's network thread (and its socket) running, and a weak set
# would have lost the consumer object by then (measured: ``news-pipeline demo`` found none to close).
_SIZERS: set[Any] = set()
_SIZERS_LOCK = threading.Lock()

# Runners that execute the partition watcher and the readers side by side (see ReadConfig.watch_partitions).
CONCURRENT_RUNNERS = frozenset({"DataflowRunner"})


class _PartitionTracker(OffsetRestrictionTracker):
    """Offsets of one partition.  Remaining work is the backlog, end offset - position, not the open range."""

    def __init__(self, restriction: OffsetRange, bounded: bool, end_hint: Callable[[], int | None]):
        super().__init__(restriction)
        self._bounded = bounded
        self._end_hint = end_hint

    def is_bounded(self) -> bool:
        return self._bounded

    def current_progress(self) -> RestrictionProgress:
        # Called from the progress-reporting thread: reads plain ints only, never the consumer.
        start = self._range.start
        position = start if self._current_position is None else self._current_position + 1
        end = self._end_hint()
        remaining = max(0, end - position) if end is not None else 0
        return RestrictionProgress(completed=max(0, position - start), remaining=remaining)


class _ReadPartitionBase(beam.DoFn, RestrictionProvider):
    """Reads one partition chunk by chunk; see the module docstring for the stop, backlog and watermark rules.

    The DoFn is its own ``RestrictionProvider`` so that sizing can reuse the worker's consumer.
    """

    bounded = True

    def __init__(
        self,
        cfg: ReadConfig,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.cfg = cfg
        self.clock = clock
        self.wall_clock = wall_clock
        self.records = Metrics.counter("kafka_read", "records")
        self.commits = Metrics.counter("kafka_read", "commits")
        self.commit_failures = Metrics.counter("kafka_read", "commit_failures")
        self.backlog = Metrics.gauge("kafka_read", "backlog_records")

    # -- restriction provider -------------------------------------------------------------------------------
    def initial_restriction(self, spec: PartitionSpec) -> OffsetRange:
        return OffsetRange(spec.start_offset, MAX_OFFSET)

    def create_tracker(self, restriction: OffsetRange) -> OffsetRestrictionTracker:
        return _PartitionTracker(restriction, self.bounded, lambda: getattr(self, "_end_hint", None))

    def restriction_size(self, spec: PartitionSpec, restriction: OffsetRange) -> int:
        """Backlog of the restriction: the partition's end offset - the restriction's start."""
        return max(0, self.end_offset(spec.topic, spec.partition) - restriction.start)

    def split(self, spec: PartitionSpec, restriction: OffsetRange) -> Iterable[OffsetRange]:
        yield restriction  # one reader per partition: Kafka ordering within a partition is kept

    def truncate(self, spec: PartitionSpec, restriction: OffsetRange) -> OffsetRange | None:
        # Dataflow drain truncates unbounded restrictions: stop reading; uncommitted records stay in Kafka.
        return None if not self.bounded else restriction

    # -- clients --------------------------------------------------------------------------------------------
    def setup(self) -> None:
        from kafka import KafkaConsumer

        self.consumer = KafkaConsumer(
            **consumer_config(
                self.cfg.kafka,
                group_id=self.cfg.group_id,
                max_poll_records=min(self.cfg.max_records_per_chunk, 500),
                fetch_max_wait_ms=200,
            )
        )
        self._idle_since: dict[tuple[str, int], float] = {}

    def teardown(self) -> None:
        self.__dict__.pop("_shared_fetcher", None)
        for name in ("consumer", "_sizer"):
            client = self.__dict__.pop(name, None)
            if client is not None:
                with _SIZERS_LOCK:
                    _SIZERS.discard(client)
                client.close(autocommit=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in (
            "consumer",
            "_sizer",
            "_size_lock",
            "_sizes",
            "_idle_since",
            "_end_hint",
            "_shared_fetcher",
        ):
            state.pop(name, None)
        return state

    def end_offset(self, topic: str, partition: int) -> int:
        """The partition's end offset, cached for ``size_cache_s`` (sizing may be asked for every residual)."""
        from kafka import KafkaConsumer, TopicPartition

        if "_size_lock" not in self.__dict__:
            self._size_lock = threading.Lock()
            self._sizes: dict[tuple[str, int], tuple[float, int]] = {}
        key = (topic, partition)
        with self._size_lock:
            cached = self._sizes.get(key)
            now = self.clock()
            if cached and now - cached[0] < self.cfg.size_cache_s:
                return cached[1]
            with _SIZERS_LOCK:
                if self.__dict__.get("_sizer") not in _SIZERS:  # none yet, or closed at a run's end
                    self._sizer = KafkaConsumer(**consumer_config(self.cfg.kafka))
                    _SIZERS.add(self._sizer)
            tp = TopicPartition(topic, partition)
            end = int(self._sizer.end_offsets([tp]).get(tp, 0))
            self._sizes[key] = (now, end)
            return end

    # -- reading --------------------------------------------------------------------------------------------
    def _read(
        self, spec: PartitionSpec, tracker: Any, finalizer: Any, watermark: ManualWatermarkEstimator
    ) -> Iterator[Any]:
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata

        tp = TopicPartition(spec.topic, spec.partition)
        start = tracker.current_restriction().start
        fetcher = self._fetcher()
        fetcher.position(tp, start)
        next_offset = start
        emitted = 0
        opened = self.clock()
        chunk_deadline = opened + self.cfg.max_chunk_s
        key = (spec.topic, spec.partition)
        stream = self.cfg.mode == "stream"
        while True:
            if STOP.is_set():
                tracker.try_claim(MAX_OFFSET)  # claim the end: the restriction is done, nothing is deferred
                break
            batch = fetcher.take(tp)
            if not batch and fetcher.others_waiting(tp) and (emitted or stream):
                # Other partitions have records queued: end this chunk so their readers run now (stream latency).
                tracker.defer_remainder(Duration.of(0.0))
                break
            if not batch and not stream and fetcher.fetched_to_end(tp, next_offset):
                # drained: a fetch response's high watermark says nothing follows (no idle poll to wait out)
                tracker.try_claim(MAX_OFFSET)
                break
            if not batch:
                fetcher.poll(tp, self.cfg.poll_timeout_ms)
                batch = fetcher.take(tp)
            for i, msg in enumerate(batch):
                if msg.offset < next_offset:
                    continue
                if not tracker.try_claim(msg.offset):
                    fetcher.give_back(tp, batch[i:])
                    fetcher.consumed(tp, next_offset)
                    return
                next_offset = msg.offset + 1
                emitted += 1
                ts = Timestamp.of(max(msg.timestamp, 0) / 1000.0)
                self._advance(watermark, ts)
                yield beam.window.TimestampedValue(
                    KafkaRecord(msg.topic, msg.partition, msg.offset, msg.key, msg.value, msg.timestamp),
                    ts,
                )
                # Downstream work runs inside this loop (the stage is fused), so the chunk's clock is checked per
                # record: a bundle, and so the interval between offset commits, ends after max_chunk_s.
                if emitted >= self.cfg.max_records_per_chunk or self.clock() >= chunk_deadline:
                    fetcher.give_back(tp, batch[i + 1 :])
                    break
            fetcher.consumed(tp, next_offset)
            self._note_end(tp, next_offset)
            if batch:
                self._idle_since.pop(key, None)
            elif self._finished_when_idle(tp, next_offset, key):
                tracker.try_claim(MAX_OFFSET)
                break
            elif self._caught_up(next_offset):
                self._advance(watermark, Timestamp.of(self.wall_clock() - self.cfg.idle_watermark_lag_s))
            now = self.clock()
            chunk_full = emitted >= self.cfg.max_records_per_chunk or now >= chunk_deadline
            # Stream mode ends a chunk as soon as the partition is caught up: the bundle (enrich's last batch, the
            # sink's flush, the offset commit) finishes now instead of at max_chunk_s.  Records that keep coming
            # (50/s on one partition) never leave a poll empty: at the head of the log the chunk ends after
            # live_chunk_s (one partition at 50/s: p50 0.72 -> 0.23 s, bench_stream.py).
            live = (
                stream and now - opened >= self.cfg.live_chunk_s and fetcher.fetched_to_end(tp, next_offset)
            )
            caught_up = stream and (not batch or live)
            if (chunk_full and (emitted or not batch)) or caught_up:
                tracker.defer_remainder(Duration.of(0.05 if batch else 0.5))
                break
        self.records.inc(emitted)
        if next_offset > start:
            commit_to = next_offset

            def commit() -> None:
                try:
                    self.consumer.commit({tp: OffsetAndMetadata(commit_to, "", -1)})
                    self.commits.inc()
                except KafkaError as exc:  # broker away: the next chunk's commit covers these offsets
                    self.commit_failures.inc()
                    log.warning(
                        "offset commit to %s failed (%s); retried with the next chunk", commit_to, exc
                    )

            finalizer.register(commit)

    def _fetcher(self) -> SharedFetcher:
        """One consumer for every partition this instance reads (fetch.py): polls serve them all."""
        fetcher = self.__dict__.get("_shared_fetcher")
        if fetcher is None:
            fetcher = self._shared_fetcher = SharedFetcher(self.consumer, self.clock)
        return fetcher

    @staticmethod
    def _advance(watermark: ManualWatermarkEstimator, ts: Timestamp) -> None:
        current = watermark.current_watermark()
        if current is None or ts > current:
            watermark.set_watermark(ts)

    def _note_end(self, tp: Any, position: int) -> None:
        """Remember the partition's end for the tracker's backlog: the fetch highwater, no extra round trip."""
        end = self.consumer.highwater(tp)
        self._end_hint = max(int(end), position) if end is not None else position
        self.backlog.set(self._end_hint - position)

    def _caught_up(self, position: int) -> bool:
        end = getattr(self, "_end_hint", None)
        return end is None or position >= end

    def _finished_when_idle(self, tp: Any, position: int, key: tuple[str, int]) -> bool:
        now = self.clock()
        first_idle = self._idle_since.setdefault(key, now)
        if self.cfg.mode == "drain":
            try:
                end = self.consumer.end_offsets([tp]).get(tp, 0)
            except KafkaError as exc:  # broker away: not finished, keep polling (the consumer reconnects)
                log.warning("end offset of %s unknown (%s); still reading", tp, exc)
                return False
            return position >= end
        return self.cfg.idle_stop_s is not None and now - first_idle >= self.cfg.idle_stop_s


class _ReadBoundedPartition(_ReadPartitionBase):
    def process(
        self,
        spec: PartitionSpec,
        finalizer: Any = beam.DoFn.BundleFinalizerParam,
        tracker: OffsetRestrictionTracker = beam.DoFn.RestrictionParam(),
        watermark: ManualWatermarkEstimator = beam.DoFn.WatermarkEstimatorParam(
            ManualWatermarkEstimator.default_provider()
        ),
    ) -> Iterator[Any]:
        yield from self._read(spec, tracker, finalizer, watermark)


class _ReadUnboundedPartition(_ReadPartitionBase):
    bounded = False

    @beam.DoFn.unbounded_per_element()  # Beam reads it from the bound process method, not the class
    def process(
        self,
        spec: PartitionSpec,
        finalizer: Any = beam.DoFn.BundleFinalizerParam,
        tracker: OffsetRestrictionTracker = beam.DoFn.RestrictionParam(),
        watermark: ManualWatermarkEstimator = beam.DoFn.WatermarkEstimatorParam(
            ManualWatermarkEstimator.default_provider()
        ),
    ) -> Iterator[Any]:
        yield from self._read(spec, tracker, finalizer, watermark)


def _route(element: PartitionSpec | WatchSpec, _n: int) -> int:
    return 0 if isinstance(element, PartitionSpec) else 1


class ReadFromKafkaPy(beam.PTransform):
    """Read topics as ``KafkaRecord``s with committed-offset resume; bounded in drain mode, unbounded in stream."""

    def __init__(self, cfg: ReadConfig, topics: Iterable[str]):
        super().__init__()
        self.cfg = cfg
        self.topics = tuple(topics)

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        found = (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "DiscoverPartitions" >> beam.ParDo(DiscoverPartitions(self.cfg, self.topics))
            | "SpreadPartitions" >> beam.Reshuffle()
        )
        if self.cfg.mode != "stream":
            return found | "ReadPartitions" >> beam.ParDo(_ReadBoundedPartition(self.cfg)).with_output_types(
                KafkaRecord
            )
        partitions, watches = found | "RouteWork" >> beam.Partition(_route, 2)
        current = partitions | "ReadPartitions" >> beam.ParDo(
            _ReadUnboundedPartition(self.cfg)
        ).with_output_types(KafkaRecord)
        if not self._watch(pbegin.pipeline):
            return current
        added = (
            watches
            | "WatchPartitions" >> beam.ParDo(WatchNewPartitions(self.cfg))
            | "ReadNewPartitions"
            >> beam.ParDo(_ReadUnboundedPartition(self.cfg)).with_output_types(KafkaRecord)
        )
        return (current, added) | "MergePartitions" >> beam.Flatten()

    def _watch(self, pipeline: beam.Pipeline) -> bool:
        if self.cfg.watch_partitions is not None:
            return self.cfg.watch_partitions
        return type(pipeline.runner).__name__ in CONCURRENT_RUNNERS


def close_sizers() -> int:
    """At the end of a local run (``beam.run``): close the restriction-sizing consumers still open and return how
    many.  The runner sizes restrictions on a DoFn instance whose ``teardown`` may never run; its consumer's
    network thread kept a connection to the broker after the run (the embedded broker then waited 5 s for it at
    every stop).  An instance sized again later opens a new one (``end_offset`` finds its consumer closed)."""
    with _SIZERS_LOCK:
        sizers = list(_SIZERS)
        _SIZERS.clear()
    for consumer in sizers:
        try:
            consumer.close(autocommit=False)
        except Exception:  # closing a client of a dead broker may raise anything
            log.debug("closing a sizing consumer failed", exc_info=True)
    return len(sizers)
