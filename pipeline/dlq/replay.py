"""Replay dead letters after a fix: selected ``Failure``s -> their raw input, produced again to its raw topic.

The raw bytes are the failure's ``original`` for decode/normalize failures (the Kafka value itself), else the
record re-read from its source coordinates.  Each replayed input is recorded in a ledger topic
(``<dead-letter topic>.replayed``, keyed by source coordinates), so a second replay of the same failure does
nothing; duplicate dead letters of one input (at-least-once) are replayed once.  Items that did succeed are not
emitted twice: the pipeline's dedup suppresses an unchanged re-feed of an entry it already emitted.
Order: replays are flushed before the ledger is written; a crash in between replays again, and dedup absorbs it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition

from pipeline.bus.client import consumer_config, ensure_topics, make_producer
from pipeline.dlq.read import RAW_STAGES, DeadLetter, Selector, read_bounded, read_dead_letters, replayable
from pipeline.settings import KafkaSettings


@dataclass
class ReplayReport:
    selected: int = 0
    replayed: int = 0
    already_replayed: int = 0
    not_replayable: int = 0
    undecodable: int = 0
    targets: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        where = ", ".join(f"{n} to {t}" for t, n in sorted(self.targets.items())) or "nothing produced"
        return (
            f"{self.selected} selected: {self.replayed} replayed ({where}), {self.already_replayed} already "
            f"replayed, {self.not_replayable} not replayable, {self.undecodable} undecodable dead letters"
        )


def ledger_topic(dead_letter_topic: str) -> str:
    return f"{dead_letter_topic}.replayed"


def replayed_keys(kafka: KafkaSettings, dead_letter_topic: str) -> set[str]:
    """Source coordinates already replayed, from the ledger topic (empty when it does not exist yet)."""
    ensure_topics(kafka, [ledger_topic(dead_letter_topic)])
    return {m.key.decode() for m in read_bounded(kafka, ledger_topic(dead_letter_topic)) if m.key}


def _source_record(consumer: KafkaConsumer, letter: DeadLetter) -> tuple[bytes | None, bytes] | None:
    f = letter.failure
    assert f.source_topic is not None and f.source_partition is not None and f.source_offset is not None
    tp = TopicPartition(f.source_topic, f.source_partition)
    consumer.assign([tp])
    consumer.seek(tp, f.source_offset)
    for _ in range(6):
        for msg in consumer.poll(timeout_ms=500).get(tp, []):
            if msg.offset == f.source_offset and msg.value is not None:
                return msg.key, msg.value
            if msg.offset > f.source_offset:
                return None  # compacted or deleted
    return None


def replay(
    kafka: KafkaSettings,
    dead_letter_topic: str,
    selector: Selector = Selector(),
    to_topic: str | None = None,
    dry_run: bool = False,
    clock: Callable[[], float] = time.time,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Produce the raw input of each selected, not yet replayed dead letter; record it in the ledger.

    ``progress(done, total)`` is called after each dead letter handled (for a progress bar)."""
    report = ReplayReport()
    done = replayed_keys(kafka, dead_letter_topic)
    todo: list[tuple[DeadLetter, str]] = []
    for item in read_dead_letters(kafka, dead_letter_topic):
        if not isinstance(item, DeadLetter):
            report.undecodable += 1
            continue
        if not selector.match(item.failure):
            continue
        report.selected += 1
        key = item.source_key
        if not replayable(item) or key is None:
            report.not_replayable += 1
        elif key in done:
            report.already_replayed += 1
        else:
            done.add(key)
            todo.append((item, key))
    if dry_run or not todo:
        report.replayed = 0 if dry_run else report.replayed
        if dry_run:
            report.targets = {"(dry run)": len(todo)}
        return report
    producer = make_producer(kafka)
    source = KafkaConsumer(**consumer_config(kafka, group_id=None, enable_auto_commit=False))
    try:
        ledger = []
        for i, (letter, key) in enumerate(todo, 1):
            if progress is not None:
                progress(i, len(todo))
            f = letter.failure
            if f.stage in RAW_STAGES and f.original is not None:
                record: tuple[bytes | None, bytes] | None = (f.source_key, f.original)
            else:
                record = _source_record(source, letter)
            if record is None:
                report.not_replayable += 1
                continue
            target = to_topic or f.source_topic
            assert target is not None
            origin = f"{letter.topic}/{letter.partition}/{letter.offset}".encode()
            producer.send(target, key=record[0], value=record[1], headers=[("x-dlq-origin", origin)])
            report.targets[target] = report.targets.get(target, 0) + 1
            report.replayed += 1
            entry = {"dead_letter": origin.decode(), "target": target, "replayed_at_ms": int(clock() * 1000)}
            ledger.append((key, entry))
        producer.flush()  # replays are durable before they are recorded as done
        for key, entry in ledger:
            producer.send(ledger_topic(dead_letter_topic), key=key.encode(), value=json.dumps(entry).encode())
        producer.flush()
    finally:
        source.close(autocommit=False)
        producer.close(timeout=10)
    return report
