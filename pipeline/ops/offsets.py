"""Where topics and consumer groups stand: Kafka metadata -> per-partition earliest/end offsets and per-group lag.

In: ``KafkaSettings`` and (optionally) topic names.  Out: ``PartitionOffsets`` rows and ``GroupLag`` rows, plain data
for ``topics`` and ``status`` to render.  End offsets are counted, not taken on trust: tansu's ListOffsets answers
the start of the last record batch + 1 (docs: /work/shared/notes), so the last batch is read to find the true end.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from pipeline.bus.client import common_config, consumer_config
from pipeline.ops.errors import UserError
from pipeline.settings import KafkaSettings


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    earliest: int
    end: int  # one past the last record, counted
    reported_end: int  # what the broker's ListOffsets said

    @property
    def records(self) -> int:
        return self.end - self.earliest


@dataclass(frozen=True)
class GroupLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed this partition
    end: int
    earliest: int

    @property
    def lag(self) -> int:
        start = self.earliest if self.committed is None else max(self.committed, self.earliest)
        return max(0, self.end - start)


@contextlib.contextmanager
def admin_client(kafka: KafkaSettings) -> Iterator[KafkaAdminClient]:
    admin = KafkaAdminClient(**common_config(kafka), request_timeout_ms=10_000)
    try:
        yield admin
    finally:
        admin.close()


def topic_names(kafka: KafkaSettings, include_internal: bool = False) -> list[str]:
    """Existing topics (a metadata request for all topics never creates one)."""
    with admin_client(kafka) as admin:
        names = admin.list_topics()
    return sorted(n for n in names if include_internal or not n.startswith("__"))


def require_topics(kafka: KafkaSettings, topics: Iterable[str], what: str = "topic") -> None:
    """``UserError`` naming the missing topics and the ones that exist."""
    existing = topic_names(kafka)
    missing = [t for t in topics if t not in existing]
    if missing:
        have = ", ".join(existing[:8]) + (", ..." if len(existing) > 8 else "") if existing else "none"
        raise UserError(f"no such {what}: {', '.join(missing)} (topics on this broker: {have})", exit_code=2)


def _counted_ends(
    consumer: KafkaConsumer, reported: dict[TopicPartition, int], earliest: dict, wait_s: float
) -> dict:
    """Read each non-empty partition's last batch (from reported end - 1) to find the real end offset."""
    ends = dict(reported)
    todo = [tp for tp, end in reported.items() if end > earliest.get(tp, 0)]
    if not todo:
        return ends
    consumer.assign(todo)
    for tp in todo:
        consumer.seek(tp, max(earliest.get(tp, 0), reported[tp] - 1))
    deadline = time.monotonic() + wait_s
    pending = set(todo)
    while pending and time.monotonic() < deadline:
        batches = consumer.poll(timeout_ms=200)
        for tp, records in batches.items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
        for tp in list(pending):  # done once a fetch came back empty at the position we reached
            if tp not in batches and consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
    return ends


def partition_offsets(
    kafka: KafkaSettings, topics: Iterable[str] | None = None, count: bool = True, wait_s: float = 3.0
) -> list[PartitionOffsets]:
    """Earliest and end offsets of every partition of ``topics`` (default: all non-internal topics)."""
    names = list(topics) if topics is not None else topic_names(kafka)
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None, fetch_max_wait_ms=100))
    try:
        tps = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not tps:
            return []
        earliest = consumer.beginning_offsets(tps)
        reported = consumer.end_offsets(tps)
        ends = _counted_ends(consumer, reported, earliest, wait_s) if count else reported
    finally:
        consumer.close(autocommit=False)
    return [PartitionOffsets(tp.topic, tp.partition, earliest[tp], ends[tp], reported[tp]) for tp in tps]


def group_names(kafka: KafkaSettings) -> list[str]:
    with admin_client(kafka) as admin:
        return sorted(g["group_id"] for g in admin.list_groups())


def group_lags(
    kafka: KafkaSettings, offsets: list[PartitionOffsets], groups: Iterable[str] | None = None
) -> list[GroupLag]:
    """Committed offset and lag of each group on each partition it committed to (among ``offsets``)."""
    by_tp = {(o.topic, o.partition): o for o in offsets}
    with admin_client(kafka) as admin:
        names = sorted(groups) if groups is not None else sorted(g["group_id"] for g in admin.list_groups())
        committed = admin.list_group_offsets(names) if names else {}
    rows = []
    for group in names:
        commits = committed.get(group) or {}
        topics = {tp.topic for tp in commits}
        for (topic, partition), o in sorted(by_tp.items()):
            if topic not in topics:
                continue
            meta = commits.get(TopicPartition(topic, partition))
            offset = meta.offset if meta is not None and meta.offset >= 0 else None
            rows.append(GroupLag(group, topic, partition, offset, o.end, o.earliest))
    return rows


def last_records(kafka: KafkaSettings, offsets: list[PartitionOffsets], wait_s: float = 2.0) -> list:
    """The last record of each non-empty partition in ``offsets`` (``offsets`` carry counted ends)."""
    todo = {TopicPartition(o.topic, o.partition): o for o in offsets if o.end > o.earliest}
    if not todo:
        return []
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None, fetch_max_wait_ms=100))
    found: dict[TopicPartition, object] = {}
    try:
        consumer.assign(list(todo))
        for tp, o in todo.items():
            consumer.seek(tp, o.end - 1)
        deadline = time.monotonic() + wait_s
        while len(found) < len(todo) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=200).items():
                if records:
                    found[tp] = records[-1]
    finally:
        consumer.close(autocommit=False)
    return list(found.values())
