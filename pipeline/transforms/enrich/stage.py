"""Beam wiring for the enrich stage: PCollection[Dispatch] in, PCollection[EnrichedDispatch] out, plus ``failures``.

The DoFn builds the ``Enricher`` once per worker in ``setup()`` (through ``beam.utils.shared.Shared``, so the DoFn
instances of one worker process share one copy of the models), buffers dispatches inside a bundle and enriches them
``batch_size`` at a time (spaCy ``nlp.pipe``), flushing when the buffer is full, when its oldest item waited
``max_wait_s`` and in ``finish_bundle``, with each element's own timestamp and window.  With ``processes`` > 0 the
batches are shared with a pool of enrich worker processes (pool.py), so NER can use the other cores.  Items never get dropped: per-item problems are in ``Enrichment.errors``; only
what cannot be emitted at all (not a Dispatch, a batch crash that also fails item by item) becomes a ``Failure``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.beam.failures import FAILURES, Clock, make_failure
from pipeline.model import Dispatch, EnrichedDispatch, Enrichment
from pipeline.transforms.enrich.enricher import Enricher
from pipeline.transforms.enrich.pool import EnrichPool, drop_pool, enrich_each, shared_pool, usable_cores

log = logging.getLogger(__name__)

STAGE = "enrich"
DEFAULT_BATCH = 32
MAX_WAIT_S = 0.15  # a buffered item waits at most this long for its batch to fill (stream latency)


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
    """Buffer dispatches within a bundle, enrich them in batches, emit ``EnrichedDispatch`` (or a ``Failure``).

    A batch goes out when it holds ``batch_size`` items or its oldest item waited ``max_wait_s`` (and at the end of
    the bundle).  With ``processes`` > 0 a batch goes to the worker pool while it has fewer than two batches per
    worker in flight; else, with a worker per core, this process waits for room, and with fewer it enriches the batch
    here; results are emitted in order as they come back, and the bundle only
    finishes once all of them were emitted (so the source's offset commit still follows the writes).
    """

    def __init__(
        self,
        languages: Sequence[str] | None,
        ner: bool,
        batch_size: int,
        clock: Clock = time.time,
        processes: int = 0,
        max_wait_s: float = MAX_WAIT_S,
        monotonic: Clock = time.monotonic,
    ):
        self.languages = tuple(languages) if languages is not None else None
        self.ner = ner
        self.batch_size = batch_size
        self.clock = clock
        self.processes = processes
        self.max_wait_s = max_wait_s
        self.monotonic = monotonic
        self.items = Metrics.counter(STAGE, "items")
        self.with_errors = Metrics.counter(STAGE, "items_with_errors")
        self.failed = Metrics.counter(STAGE, "failures")
        self.batches = Metrics.distribution(STAGE, "batch_size")
        self.pooled = Metrics.counter(STAGE, "batches_in_pool")
        self.pool_failures = Metrics.counter(STAGE, "pool_failures")
        self._counters: dict[str, Any] = {}

    def setup(self) -> None:
        self.enricher = shared_enricher(self.languages, self.ner)
        self.pool: EnrichPool | None = None
        # As many workers as cores: they do all the enriching and this process only feeds them.  Fewer: this
        # process enriches a batch itself whenever the workers have two each in flight.
        self.dedicated = self.processes >= usable_cores()

    def start_bundle(self) -> None:
        self._buffer: list[WindowedValue] = []
        self._oldest = 0.0
        self._pending: deque[tuple[list[WindowedValue], Future]] = deque()
        if self.processes > 0 and self.pool is None:
            self.pool = shared_pool(self.processes, self.languages, self.ner)

    def process(
        self, element: Any, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam
    ) -> Iterable[Any]:
        wv = WindowedValue(element, timestamp, (window,))
        if not isinstance(element, Dispatch):
            yield from self._fail([wv], TypeError(f"expected Dispatch, got {type(element).__name__}"))
            return
        now = self.monotonic()
        if not self._buffer:
            self._oldest = now
        self._buffer.append(wv)
        if len(self._buffer) >= self.batch_size or now - self._oldest >= self.max_wait_s:
            yield from self._flush(here=False)
        yield from self._collect(wait=False)

    def finish_bundle(self) -> Iterable[Any]:
        yield from self._flush(here=True)  # nothing else to do in this process now
        yield from self._collect(wait=True)

    def _flush(self, here: bool) -> Iterable[Any]:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        self.batches.update(len(batch))
        pool = self.pool
        if pool is not None and pool.ready(wait=self.dedicated):
            if self.dedicated:
                # The workers own every core: this process waits for room instead of competing with them.  Each
                # batch is shared out between the workers, so at a bundle's end no worker sits idle for long while
                # another finishes a whole batch (500 NER-on items: 18.2-19.8/s vs 17.6-17.9/s unsplit).
                while len(self._pending) >= 2 * pool.processes:
                    yield from self._collect(wait=True, limit=1)
                pool.warm_once([batch[0].value])
                for part in _split(batch, pool.processes):
                    self._submit(pool, part)
                return
            if not here and len(self._pending) < 2 * pool.processes:
                self._submit(pool, batch)
                return
        yield from self._emit(batch, enrich_each(self.enricher, [wv.value for wv in batch]))

    def _submit(self, pool: EnrichPool, batch: list[WindowedValue]) -> None:
        self.pooled.inc()
        self._pending.append((batch, pool.submit([wv.value for wv in batch])))

    def _collect(self, wait: bool, limit: int | None = None) -> Iterable[Any]:
        """Emit the pool's results in submission order: those already back, or (``wait``) the next ``limit`` of
        them, all by default."""
        done = 0
        while self._pending and (wait or self._pending[0][1].done()) and (limit is None or done < limit):
            done += 1
            batch, future = self._pending.popleft()
            try:
                results = future.result()
            except Exception as exc:  # the pool broke (a worker died): enrich here; a fresh pool next bundle
                self.pool_failures.inc()
                log.warning(
                    "enrich pool failed (%s); enriching %d items in the pipeline process", exc, len(batch)
                )
                if self.pool is not None:
                    drop_pool(self.pool)
                    self.pool = None
                results = enrich_each(self.enricher, [wv.value for wv in batch])
            yield from self._emit(batch, results)

    def _emit(self, batch: list[WindowedValue], results: list[Enrichment | BaseException]) -> Iterable[Any]:
        for wv, result in zip(batch, results, strict=True):
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


def _split(batch: list[WindowedValue], parts: int) -> list[list[WindowedValue]]:
    """``batch`` in up to ``parts`` consecutive slices of near-equal size (order kept)."""
    size = -(-len(batch) // max(1, min(parts, len(batch))))
    return [batch[i : i + size] for i in range(0, len(batch), size)]


def _in_process_runner(pipeline: beam.Pipeline) -> bool:
    """The single-process local runner, which runs the DoFns in this very process."""
    from apache_beam.options.pipeline_options import DirectOptions

    local = type(pipeline.runner).__name__ in ("FnApiRunner", "DirectRunner", "SwitchingDirectRunner")
    return local and pipeline.options.view_as(DirectOptions).direct_num_workers == 1


def auto_processes(
    pipeline: beam.Pipeline, ner: bool, load: Callable[[], float] = lambda: os.getloadavg()[0]
) -> int:
    """Worker processes for the enrich pool when not set: only on the single-process local runner (on Dataflow each
    vCPU already runs its own SDK harness: a pool would oversubscribe it) and only while the other cores are idle
    (1-minute load average < cores - 1; on a machine whose other core is busy a pool measured slower than none).
    With NER one worker per core, which then do all the enriching (NER is ~90 % of the work: this process only
    feeds them); without NER one fewer, and this process enriches too (it also decodes, normalizes and
    deduplicates, and that is the larger half).  Measured in docs/performance.md."""
    if not _in_process_runner(pipeline):
        return 0
    cores = usable_cores()
    if cores < 2 or load() >= cores - 1:
        return 0
    return cores if ner else cores - 1


class EnrichDispatches(beam.PTransform):
    """Dispatch -> EnrichedDispatch (main output) and Failure (``failures``), step label ``EnrichBatches``.

    ``processes``: enrich worker processes beside the pipeline's own (None: ``auto_processes``).
    """

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        ner: bool = True,
        batch_size: int = DEFAULT_BATCH,
        label: str | None = None,
        processes: int | None = None,
    ):
        super().__init__(label)
        self.languages = languages
        self.ner = ner
        self.batch_size = batch_size
        self.processes = processes

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        processes = self.processes if self.processes is not None else auto_processes(pcoll.pipeline, self.ner)
        fn = EnrichDoFn(self.languages, self.ner, self.batch_size, processes=processes)
        if processes > 0 and _in_process_runner(pcoll.pipeline):
            # The DoFns will run in this process: start the workers now, so that their imports and model loading
            # overlap the runner's own start-up; the DoFn gets this same pool from shared_pool.
            shared_pool(processes, fn.languages, self.ner)
        return pcoll | "EnrichBatches" >> beam.ParDo(fn).with_outputs(FAILURES, main="main")
