"""Read a topic's assigned partitions poll by poll until an explicit stop rule says done: the one reading loop.

In: a consumer with its partitions assigned and positioned, and a ``StopRule``.  Out: each poll's records, then the
reader stops.  Two rules, chosen by the caller and never mixed up:

* ``StopRule.at_end()`` ("until done", restore and dead-letter reads): every partition's position has reached the end
  offset taken at the start AND the high watermark of a fetch response for it (a fetch came back, and it says there is
  nothing after the position).  The listed end alone is never trusted (tansu's ListOffsets reports the start of the
  last batch + 1, short of the true end, measured in the shared notes on Beam and Kafka; its fetch responses carry
  the true high watermark), and idleness alone is never enough (a slow broker would silently end the read early).
  So that the confirming fetch comes back at once, ``read_to_end`` asks the broker to wait at most
  ``CONFIRM_WAIT_MS`` on an empty fetch, and polls in short steps (``CONFIRM_STEP_MS``): an empty topic is read in
  ~0.1 s, not in one whole poll timeout.  Fallback, the earlier rule: positions at the listed end and ``poll_ms``
  without a record (a partition whose last offsets hold no records to return, e.g. transaction markers).
* ``StopRule.idle(s)`` (a tail, ``consume``): after ``s`` seconds without a record; ``idle(None)`` never stops.

``read_to_end`` is the "whole topic from the beginning" case built on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from pipeline.bus.client import consumer_config, wait_for_partitions
from pipeline.settings import KafkaSettings, PipelineSettings

CONFIRM_WAIT_MS = 100  # an empty fetch's longest wait at the broker when reading to the end
CONFIRM_STEP_MS = 25  # the poll step then: kafka-python's poll waits its whole timeout when no record comes


@dataclass(frozen=True)
class StopRule:
    """When a read is done: at the end taken at the start (``until_end``), or after ``idle_s`` without records."""

    until_end: bool = False
    idle_s: float | None = None

    @classmethod
    def at_end(cls) -> StopRule:
        return cls(until_end=True)

    @classmethod
    def idle(cls, seconds: float | None) -> StopRule:
        return cls(idle_s=seconds)


def poll_until(
    consumer: Any,
    tps: list[Any],
    stop: StopRule,
    *,
    poll_ms: int = 500,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[list[Any]]:
    """Each non-empty poll's records (kafka-python ``ConsumerRecord``s, partitions interleaved as fetched) until
    ``stop`` says done.  The caller positions the consumer first and may commit between polls."""
    ends = consumer.end_offsets(tps) if stop.until_end else {}
    step_ms = min(poll_ms, CONFIRM_STEP_MS) if stop.until_end else poll_ms
    last = clock()
    while True:
        if stop.until_end and fetched_to_end(consumer, tps, ends):
            return
        batches = consumer.poll(timeout_ms=step_ms)
        if batches:
            last = clock()
            yield [msg for records in batches.values() for msg in records]
            continue
        if (
            stop.until_end
            and clock() - last >= poll_ms / 1000
            and all(consumer.position(tp) >= ends.get(tp, 0) for tp in tps)
        ):
            return
        if stop.idle_s is not None and clock() - last >= stop.idle_s:
            return


def fetched_to_end(consumer: Any, tps: list[Any], ends: dict[Any, int]) -> bool:
    """Every partition's position at or past both the end listed at the start and the high watermark of the last fetch
    response for it."""
    for tp in tps:
        position = consumer.position(tp)
        if position < ends.get(tp, 0) or not at_high_watermark(consumer, tp, position):
            return False
    return True


def at_high_watermark(consumer: Any, tp: Any, position: int) -> bool:
    """``position`` at or past the high watermark of the last fetch response for ``tp`` (False before one came back):
    the log's true end then.  tansu's fetch responses carry it; its ListOffsets answer is short of it."""
    high = consumer.highwater(tp)
    return high is not None and position >= high


def read_to_end(
    kafka: KafkaSettings,
    topic: str,
    *,
    poll_ms: int = 500,
    wait_partitions_s: float = 10.0,
    missing_ok: bool = False,
) -> Iterator[Any]:
    """Records (kafka-python ``ConsumerRecord``) of ``topic`` from offset 0 (or the log start) to the end.

    A topic without partitions after ``wait_partitions_s`` raises ``RuntimeError`` unless ``missing_ok`` (then
    nothing is read).  No consumer group: nothing is committed.
    """
    consumer = KafkaConsumer(
        **consumer_config(kafka, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=CONFIRM_WAIT_MS)
    )
    try:
        try:
            parts = wait_for_partitions(consumer, topic, wait_partitions_s)
        except RuntimeError:
            if missing_ok:
                return
            raise
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        for records in poll_until(consumer, tps, StopRule.at_end(), poll_ms=poll_ms):
            yield from records
    finally:
        consumer.close(autocommit=False)


def log_ends(kafka: KafkaSettings, topic: str, timeout_s: float = 30.0) -> dict[int, int]:
    """Each partition's log end, as a fetch response reports it (its high watermark; tansu's ListOffsets answer can
    be short of it): what a reader must reach to have every record written before this call.  Raises on timeout."""
    consumer = KafkaConsumer(
        **consumer_config(kafka, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=CONFIRM_WAIT_MS)
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(wait_for_partitions(consumer, topic, timeout_s))]
        return {tp.partition: end for tp, end in _fetched_ends(consumer, tps, timeout_s).items()}
    finally:
        consumer.close(autocommit=False)


def _fetched_ends(consumer: KafkaConsumer, tps: list[TopicPartition], timeout_s: float) -> dict[Any, int]:
    """``tps`` assigned to ``consumer``; each one's end as a fetch from its listed end reports it."""
    consumer.assign(tps)
    listed = consumer.end_offsets(tps)
    # a fetch from the listed end: at most its last batch comes back, with the high watermark
    for tp in tps:
        consumer.seek(tp, listed[tp])
    deadline = time.monotonic() + timeout_s
    while any(consumer.highwater(tp) is None for tp in tps):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no fetch response for {tps[0].topic} in {timeout_s:.0f} s")
        consumer.poll(timeout_ms=CONFIRM_STEP_MS)
    return {tp: max(consumer.highwater(tp), listed[tp]) for tp in tps}


def listed_size(kafka: KafkaSettings, topic: str, timeout_s: float = 2.0) -> int:
    """How many records ``topic`` has ever held, by its listed ends (0 when it has no partitions within
    ``timeout_s``): a cheap upper bound of what a read from the beginning returns."""
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None, enable_auto_commit=False))
    try:
        try:
            parts = wait_for_partitions(consumer, topic, timeout_s)
        except RuntimeError:
            return 0
        return sum(consumer.end_offsets([TopicPartition(topic, p) for p in parts]).values())
    finally:
        consumer.close(autocommit=False)


def group_backlog(kafka: KafkaSettings, topic: str, group: str, timeout_s: float = 2.0) -> int | None:
    """Records of ``topic`` that ``group`` has not committed yet (from the earliest offset where it never did), up to
    each partition's end as a fetch reports it (``log_ends``' rule): what a drain starting now has to read.  None
    when the broker cannot tell within ``timeout_s`` (no partitions, no answer)."""
    consumer = KafkaConsumer(
        **consumer_config(kafka, group_id=group, enable_auto_commit=False, fetch_max_wait_ms=CONFIRM_WAIT_MS)
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(wait_for_partitions(consumer, topic, timeout_s))]
        ends, earliest = _fetched_ends(consumer, tps, timeout_s), consumer.beginning_offsets(tps)
        total = 0
        for tp in tps:
            committed = consumer.committed(tp)
            start = earliest[tp] if committed is None else max(committed, earliest[tp])
            total += max(0, ends[tp] - start)
        return total
    except Exception:  # no partitions in time, a broker away or slow: the caller keeps its default
        return None
    finally:
        consumer.close(autocommit=False)


def drain_backlog(settings: PipelineSettings) -> Callable[[], int | None] | None:
    """What a drain of ``settings`` has to read, asked only when called (the automatic pool size asks it, when it
    would start a pool: enrich/pool.py ``choose_processes``); None for a stream."""
    s = settings
    return (lambda: group_backlog(s.kafka, s.topics.raw, s.consumer_group)) if s.mode == "drain" else None
