"""The one failure shape, and the helpers every stage uses to emit it on a tagged output.

In: an exception raised by a stage's pure function and the element it failed on.  Out: a ``Failure`` on the
``failures`` tagged output (never a log-and-drop), plus a Beam counter per stage and error type.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline import __version__
from pipeline.model import TRANSIENT, Dispatch, EnrichedDispatch, Failure, KafkaRecord

FAILURES = "failures"
# A dead letter must fit in the dead-letter topic (brokers refuse records over ~1 MB by default): originals larger
# than this keep their first bytes, and the reason says how large they were and their SHA-256.
MAX_ORIGINAL_BYTES = 256 * 1024

Clock = Callable[[], float]


def to_jsonable(obj: Any) -> Any:
    """Dataclasses/tuples/bytes -> JSON-compatible values (bytes as latin-1 text is lossless)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = (f for f in dataclasses.fields(obj) if not f.metadata.get(TRANSIENT))
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    return obj


def original_bytes(element: Any) -> bytes | None:
    """The bytes a dead letter keeps: the Kafka value when we have it, else the element as JSON."""
    if isinstance(element, KafkaRecord):
        return element.value
    if isinstance(element, tuple) and element and isinstance(element[0], KafkaRecord):
        return element[0].value
    try:
        return json.dumps(to_jsonable(element), ensure_ascii=False, default=str).encode("utf-8")
    except (TypeError, ValueError):
        return repr(element).encode("utf-8", "replace")


def cap_original(original: bytes | None) -> tuple[bytes | None, str]:
    """``(bytes kept, note for the reason)``: the original itself when small enough, else its head."""
    if original is None or len(original) <= MAX_ORIGINAL_BYTES:
        return original, ""
    digest = hashlib.sha256(original).hexdigest()
    note = f" [original truncated to {MAX_ORIGINAL_BYTES:,} of {len(original):,} bytes, sha256 {digest}]"
    return original[:MAX_ORIGINAL_BYTES], note


def _coordinates(
    element: Any,
) -> tuple[str | None, int | None, int | None, bytes | None, str | None]:
    if isinstance(element, tuple) and element and isinstance(element[0], KafkaRecord):
        element = element[0]
    if isinstance(element, tuple) and len(element) == 2 and isinstance(element[1], Dispatch):
        element = element[1]  # keyed dispatch
    if isinstance(element, KafkaRecord):
        return element.topic, element.partition, element.offset, element.key, None
    if isinstance(element, EnrichedDispatch):
        element = element.dispatch
    if isinstance(element, Dispatch):
        ing = element.ingest
        return ing.raw_topic, ing.raw_partition, ing.raw_offset, None, element.feed_url
    return None, None, None, None, None


def raw_coordinates(element: Any) -> tuple[str, int, int] | None:
    """The raw record's (topic, partition, offset) an element came from, when it carries them."""
    topic, partition, offset, _, _ = _coordinates(element)
    return None if topic is None or partition is None or offset is None else (topic, partition, offset)


def make_failure(stage: str, exc: BaseException, element: Any, now_ms: int) -> Failure:
    topic, partition, offset, key, feed_url = _coordinates(element)
    original, note = cap_original(original_bytes(element))
    return Failure(
        stage=stage,
        reason=(str(exc) or type(exc).__name__)[: 2000 - len(note)] + note,
        error_type=type(exc).__name__,
        original=original,
        failed_at_ms=now_ms,
        source_topic=topic,
        source_partition=partition,
        source_offset=offset,
        source_key=key,
        feed_url=feed_url,
        pipeline_version=__version__,
    )


class SafeFlatMap(beam.DoFn):
    """Apply ``fn(element) -> iterable`` and route any exception to the ``failures`` output with a counter.

    ``fn`` must be a picklable module-level function (or a small callable object); heavy state belongs in a
    dedicated DoFn's ``setup()``.
    """

    def __init__(self, stage: str, fn: Callable[[Any], Iterable[Any]], clock: Clock = time.time):
        self.stage = stage
        self.fn = fn
        self.clock = clock
        self.ok = Metrics.counter(stage, "ok")

    def process(self, element: Any) -> Iterable[Any]:
        try:
            outputs = list(self.fn(element))
        except Exception as exc:
            Metrics.counter(self.stage, f"failed_{type(exc).__name__}").inc()
            yield beam.pvalue.TaggedOutput(
                FAILURES,
                make_failure(self.stage, exc, element, int(self.clock() * 1000)),
            )
            return
        self.ok.inc()
        yield from outputs
