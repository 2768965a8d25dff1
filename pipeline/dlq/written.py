"""Dead letters are written once: a rerun over the same raw records does not add the same dead letter again.

In: ``Failure``s of a pipeline run.  Out: those whose (stage, raw topic, partition, offset) is not on the
dead-letter topic yet (within the dedup horizon).  A crash between a dead letter's write and the offset commit
makes the restarted run meet the same poison record again: this filter is what keeps the topic free of the copy.
Failures without raw coordinates (e.g. the poller's) always pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.model import Failure
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)
Key = tuple[str, str, int, int]

_lock = threading.Lock()
_cache: dict[tuple[str, str, str], set[Key]] = {}


def key_of(f: Failure) -> Key | None:
    if f.source_topic is None or f.source_partition is None or f.source_offset is None:
        return None
    return (f.stage, f.source_topic, f.source_partition, f.source_offset)


def load(kafka: KafkaSettings, topic: str, horizon_s: int, now_s: float) -> set[Key]:
    from pipeline.dlq.read import DeadLetter, read_dead_letters

    cutoff_ms = int((now_s - horizon_s) * 1000)
    keys: set[Key] = set()
    for letter in read_dead_letters(kafka, topic):
        if isinstance(letter, DeadLetter) and letter.failure.failed_at_ms >= cutoff_ms:
            k = key_of(letter.failure)
            if k is not None:
                keys.add(k)
    log.info("dead letters: %d already on %s", len(keys), topic)
    return keys


def shared(kafka: KafkaSettings, topic: str, horizon_s: int, run: str) -> set[Key]:
    """One set per process and run, shared by every dead-letter step (each stage writes its own failures)."""
    k = (kafka.bootstrap_servers, topic, run)
    with _lock:
        if k not in _cache:
            _cache[k] = load(kafka, topic, horizon_s, time.time())
        return _cache[k]


class SkipWrittenFn(beam.DoFn):
    def __init__(self, kafka: KafkaSettings, topic: str, horizon_s: int, run: str):
        self.kafka, self.topic, self.horizon_s, self.run = kafka, topic, horizon_s, run
        self.skipped = Metrics.counter("dead_letters", "already_written")

    def setup(self) -> None:
        self.written = shared(self.kafka, self.topic, self.horizon_s, self.run)

    def process(self, f: Failure) -> Iterator[Failure]:
        k = key_of(f)
        if k is not None:
            with _lock:
                if k in self.written:
                    self.skipped.inc()
                    return
                self.written.add(k)
        yield f
