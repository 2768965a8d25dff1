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
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.beam.failures import FAILURES, Clock
from pipeline.beam.pooled import MAX_WAIT_S, PooledBatchFn
from pipeline.model import Dispatch, EnrichedDispatch, Enrichment
from pipeline.ops import cpu
from pipeline.transforms.enrich.enricher import Enricher
from pipeline.transforms.enrich.pool import (
    EnrichPool,
    choose_processes,
    enrich_each,
    shared_pool,
)

log = logging.getLogger(__name__)
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


class EnrichDoFn(PooledBatchFn):
    """Buffer dispatches within a bundle, enrich them in batches, emit ``EnrichedDispatch`` (or a ``Failure``).

    The batching and the pool policy are ``PooledBatchFn``'s (pipeline/beam/pooled.py); ``processes`` > 0 shares
    the batches with that many enrich worker processes.
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
        journal: str | None = None,
    ):
        self.languages = tuple(languages) if languages is not None else None
        self.ner = ner
        self.processes = processes
        pool_key = (processes, self.languages, ner) if processes > 0 else None
        super().__init__(
            STAGE,
            batch_size,
            clock,
            pool_key,
            max_wait_s,
            monotonic,
            worker_key=(self.languages, ner),
            journal=journal,
        )
        self.items = Metrics.counter(STAGE, "items")
        self.with_errors = Metrics.counter(STAGE, "items_with_errors")

    def setup(self) -> None:
        super().setup()
        # With a worker per core the workers enrich every batch: this process loads its own Enricher only if it ever
        # has to work one (the pool broke).  Loading it here anyway took 0.36 s of a core at start-up, while the two
        # workers were importing spaCy on the same two cores.
        self.enricher: Enricher | None = None if self.dedicated else shared_enricher(self.languages, self.ner)

    def accept(self, element: Any) -> BaseException | None:
        return (
            None
            if isinstance(element, Dispatch)
            else TypeError(f"expected Dispatch, got {type(element).__name__}")
        )

    def work_here(self, values: list[Any]) -> list[Any]:
        if self.enricher is None:
            self.enricher = shared_enricher(self.languages, self.ner)
        return enrich_each(self.enricher, values)

    def send(self, pool: EnrichPool, values: list[Any]) -> Future:
        return pool.submit(values)

    def before_send(self, pool: EnrichPool, batch: list[WindowedValue]) -> None:
        pool.warm_once([batch[0].value])

    def emit(self, wv: WindowedValue, result: Enrichment) -> Iterable[Any]:
        yield wv.with_value(EnrichedDispatch(wv.value, result))
        self.items.inc()
        self.counter(f"language_{result.language or 'unknown'}").inc()
        if result.errors:
            self.with_errors.inc()
            for err in result.errors:
                self.counter(f"error_{err.split(':', 1)[0]}").inc()


def _in_process_runner(pipeline: beam.Pipeline) -> bool:
    """The single-process local runner, which runs the DoFns in this very process."""
    from apache_beam.options.pipeline_options import DirectOptions

    local = type(pipeline.runner).__name__ in ("FnApiRunner", "DirectRunner", "SwitchingDirectRunner")
    return local and pipeline.options.view_as(DirectOptions).direct_num_workers == 1


def auto_processes(
    pipeline: beam.Pipeline,
    ner: bool,
    load: Callable[[], float] = cpu.load,
    backlog: Callable[[], int | None] | None = None,
) -> int:
    """Worker processes for the enrich pool when not set: none unless the DoFns run in this process (the
    single-process local runner; on Dataflow each vCPU already runs its own SDK harness: a pool would oversubscribe
    it), else ``pool.choose_processes``."""
    if not _in_process_runner(pipeline):
        return 0
    return choose_processes(ner, load, backlog)


class EnrichDispatches(beam.PTransform):
    """Dispatch -> EnrichedDispatch (main output) and Failure (``failures``), step label ``EnrichBatches``.

    ``processes``: enrich worker processes beside the pipeline's own (None: ``auto_processes``).  ``journal``: the
    prefix of the files where the batches this process enriches itself are noted (beam/journal.py), or None.
    """

    def __init__(
        self,
        languages: Sequence[str] | None = None,
        ner: bool = True,
        batch_size: int = DEFAULT_BATCH,
        label: str | None = None,
        processes: int | None = None,
        journal: str | None = None,
    ):
        super().__init__(label)
        self.languages = languages
        self.ner = ner
        self.batch_size = batch_size
        self.processes = processes
        self.journal = journal

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        processes = self.processes if self.processes is not None else auto_processes(pcoll.pipeline, self.ner)
        fn = EnrichDoFn(self.languages, self.ner, self.batch_size, processes=processes, journal=self.journal)
        if processes > 0 and _in_process_runner(pcoll.pipeline):
            # The DoFns will run in this process: start the workers now, so that their imports and model loading
            # overlap the runner's own start-up; the DoFn gets this same pool from shared_pool.
            shared_pool(processes, fn.languages, self.ner)
        return pcoll | "EnrichBatches" >> beam.ParDo(fn).with_outputs(FAILURES, main="main")
