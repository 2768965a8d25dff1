"""Beam wiring for the enrich stage: PCollection[Dispatch] in, PCollection[EnrichedDispatch] out, plus ``failures``.

The DoFn builds the ``Enricher`` once per worker in ``setup()`` (through ``beam.utils.shared.Shared``, so the DoFn
instances of one worker process share one copy of the models), buffers dispatches inside a bundle and enriches them
``batch_size`` at a time (spaCy ``nlp.pipe``), flushing when the buffer is full and in ``finish_bundle`` with each
element's own timestamp and window.  Items never get dropped: per-item problems are in ``Enrichment.errors``; only
what cannot be emitted at all (not a Dispatch, a batch crash that also fails item by item) becomes a ``Failure``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.beam.failures import FAILURES, Clock, make_failure
from pipeline.model import Dispatch, EnrichedDispatch, Enrichment
from pipeline.transforms.enrich.enricher import Enricher

STAGE = "enrich"
DEFAULT_BATCH = 32


# One handle per (languages, ner) for the whole process: every EnrichDoFn instance (and every pipeline built in the
# same process, e.g. a test session) gets the same loaded models for the same settings.  One ``Shared`` per setting:
# a ``Shared`` keeps one object per key and rebuilds it whenever it is acquired with a different tag, so settings
# sharing one would reload the models each time they alternate.  ``Shared`` holds objects weakly (plus the most
# recently acquired one), so it hands out the Enricher itself: whoever holds it keeps it loaded.
_SHARED: dict[str, shared.Shared] = {}
_SHARED_LOCK = threading.Lock()


def shared_enricher(languages: Sequence[str] | None = None, ner: bool = True) -> Enricher:
    """The process-wide ``Enricher`` for these settings, loaded on first use."""
    langs = tuple(languages) if languages is not None else None
    tag = f"enricher:{langs}:{ner}"
    with _SHARED_LOCK:
        handle = _SHARED.setdefault(tag, shared.Shared())
    return handle.acquire(lambda: Enricher.load(langs, ner), tag=tag)


class EnrichDoFn(beam.DoFn):
    """Buffer dispatches within a bundle, enrich them in batches, emit ``EnrichedDispatch`` (or a ``Failure``)."""

    def __init__(self, languages: Sequence[str] | None, ner: bool, batch_size: int, clock: Clock = time.time):
        self.languages = tuple(languages) if languages is not None else None
        self.ner = ner
        self.batch_size = batch_size
        self.clock = clock
        self.items = Metrics.counter(STAGE, "items")
        self.with_errors = Metrics.counter(STAGE, "items_with_errors")
        self.failed = Metrics.counter(STAGE, "failures")
        self.batches = Metrics.distribution(STAGE, "batch_size")
        self._counters: dict[str, Any] = {}

    def setup(self) -> None:
        self.enricher = shared_enricher(self.languages, self.ner)

    def start_bundle(self) -> None:
        self._buffer: list[WindowedValue] = []

    def process(
        self, element: Any, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam
    ) -> Iterable[Any]:
        wv = WindowedValue(element, timestamp, (window,))
        if not isinstance(element, Dispatch):
            yield from self._fail([wv], TypeError(f"expected Dispatch, got {type(element).__name__}"))
            return
        self._buffer.append(wv)
        if len(self._buffer) >= self.batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterable[Any]:
        yield from self._flush()

    def _flush(self) -> Iterable[Any]:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        self.batches.update(len(batch))
        try:
            results = self.enricher.enrich_batch([wv.value for wv in batch])
        except Exception:
            results = []
            for wv in batch:
                try:
                    results.append(self.enricher.enrich_one(wv.value))
                except Exception as exc:
                    results.append(exc)
        for wv, result in zip(batch, results, strict=False):
            if isinstance(result, BaseException):
                yield from self._fail([wv], result)
                continue
            yield wv.with_value(EnrichedDispatch(wv.value, result))
            self._count(result)

    def _counter(self, name: str) -> Any:
        """Counters named by value (language_fr, error_ner, ...), created once per DoFn instance."""
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Metrics.counter(STAGE, name)
        return counter

    def _count(self, result: Enrichment) -> None:
        self.items.inc()
        self._counter(f"language_{result.language or 'unknown'}").inc()
        if result.errors:
            self.with_errors.inc()
            for err in result.errors:
                self._counter(f"error_{err.split(':', 1)[0]}").inc()

    def _fail(self, batch: list[WindowedValue], exc: BaseException) -> Iterable[Any]:
        for wv in batch:
            self.failed.inc()
            self._counter(f"failed_{type(exc).__name__}").inc()
            failure = make_failure(STAGE, exc, wv.value, int(self.clock() * 1000))
            yield beam.pvalue.TaggedOutput(FAILURES, wv.with_value(failure))


class EnrichDispatches(beam.PTransform):
    """Dispatch -> EnrichedDispatch (main output) and Failure (``failures``), step label ``EnrichBatches``."""

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        ner: bool = True,
        batch_size: int = DEFAULT_BATCH,
        label: str | None = None,
    ):
        super().__init__(label)
        self.languages = languages
        self.ner = ner
        self.batch_size = batch_size

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        fn = EnrichDoFn(self.languages, self.ner, self.batch_size)
        return pcoll | "EnrichBatches" >> beam.ParDo(fn).with_outputs(FAILURES, main="main")
