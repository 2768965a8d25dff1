"""Dead-letter topic -> ``DeadLetter``s (the decoded ``Failure`` with its DLQ coordinates) -> groups by reason.

Reads are bounded by the one "read a topic until done" rule (``pipeline.bus.read.read_to_end``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.avro.codec import AvroDecodeError, decode_failure
from pipeline.bus.read import read_to_end
from pipeline.model import Failure
from pipeline.settings import KafkaSettings

RAW_STAGES = frozenset({"decode", "normalize"})  # their ``original`` is the raw Kafka value itself


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    failure: Failure

    @property
    def source_key(self) -> str | None:
        """Identity of the failed input: its raw topic coordinates (None when it did not come from Kafka)."""
        f = self.failure
        if f.source_topic is None or f.source_partition is None or f.source_offset is None:
            return None
        return f"{f.source_topic}/{f.source_partition}/{f.source_offset}"


@dataclass(frozen=True)
class Selector:
    """Which dead letters to act on; every given field must match (reason: case-insensitive substring)."""

    stage: str | None = None
    reason: str | None = None
    error_type: str | None = None
    source_topic: str | None = None

    def match(self, f: Failure) -> bool:
        return (
            (self.stage is None or f.stage == self.stage)
            and (self.error_type is None or f.error_type == self.error_type)
            and (self.source_topic is None or f.source_topic == self.source_topic)
            and (self.reason is None or self.reason.casefold() in f.reason.casefold())
        )


@dataclass
class ReasonGroup:
    stage: str
    error_type: str
    reason: str
    count: int = 0
    first_ms: int = 0
    last_ms: int = 0
    replayable: int = 0
    replayed: int = 0
    examples: list[str] = field(default_factory=list)  # DLQ coordinates, first few


read_bounded = read_to_end  # the name replay.py and the fault tests use


def read_dead_letters(kafka: KafkaSettings, topic: str) -> Iterator[DeadLetter | tuple[Any, str]]:
    """Decoded dead letters; records that are not ``Failure``s come back as ``(message, error)``."""
    for msg in read_to_end(kafka, topic):
        try:
            yield DeadLetter(msg.topic, msg.partition, msg.offset, decode_failure(msg.value))
        except AvroDecodeError as exc:
            yield msg, str(exc)


def replayable(letter: DeadLetter) -> bool:
    f = letter.failure
    if letter.source_key is None:
        return False  # e.g. poll failures: the poller fetches the feed again by itself
    return f.original is not None or f.stage not in RAW_STAGES


def group_by_reason(
    letters: Iterable[DeadLetter], replayed_keys: set[str] | None = None, examples: int = 3
) -> list[ReasonGroup]:
    """Groups by (stage, error type, reason), largest first."""
    replayed_keys = replayed_keys or set()
    groups: dict[tuple[str, str, str], ReasonGroup] = {}
    for letter in letters:
        f = letter.failure
        g = groups.setdefault((f.stage, f.error_type, f.reason), ReasonGroup(f.stage, f.error_type, f.reason))
        g.count += 1
        g.first_ms = min(g.first_ms or f.failed_at_ms, f.failed_at_ms)
        g.last_ms = max(g.last_ms, f.failed_at_ms)
        g.replayable += replayable(letter)
        g.replayed += letter.source_key in replayed_keys
        if len(g.examples) < examples:
            g.examples.append(f"{letter.partition}:{letter.offset}")
    return sorted(groups.values(), key=lambda g: (-g.count, g.stage, g.reason))
