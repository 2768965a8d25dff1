"""The Beam wrapper of the normalize stage: ``(KafkaRecord, RawEntry)`` in, ``Dispatch`` out, failures tagged.

In: a PCollection of ``(KafkaRecord, RawEntry)`` (the decoded raw topic).  Out: a ``DoOutputsTuple`` whose main
output ``["main"]`` holds ``Dispatch`` records and whose ``["failures"]`` output holds one ``Failure`` per entry that
could not be normalized.  All logic lives in ``core.normalize_entry``.

Without NER, on the single-process local runner, the pipeline process is the bottleneck (it reads, normalizes,
deduplicates, clusters and writes while the enrich pool's worker has time to spare), so when the stage pool runs
with fewer workers than cores, batches of entries are normalized in it too (pipeline/beam/pooled.py: while it has
room, else here).  With a worker per core (NER on) or no pool, every entry is normalized here, one at a time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from pipeline import __version__
from pipeline.beam.failures import FAILURES
from pipeline.beam.pooled import PooledBatchFn
from pipeline.model import Dispatch, Failure, KafkaRecord, RawEntry
from pipeline.transforms.enrich.pool import EnrichPool
from pipeline.transforms.normalize.record import normalize_and_sketch, normalize_record

STAGE = "normalize"
MAIN = "main"  # the main-output tag every stage of graph.py uses
POOL_BATCH = 32  # entries per batch sent to the stage pool


class NormalizeRecord:
    """Picklable callable for SafeFlatMap: one Kafka-decoded entry -> one Dispatch with its ingest metadata."""

    def __init__(self, clock: Callable[[], float] = time.time, pipeline_version: str = __version__):
        self.clock = clock
        self.pipeline_version = pipeline_version

    def __call__(self, element: tuple[KafkaRecord, RawEntry]) -> Iterator[Dispatch]:
        record, raw = element
        yield normalize_record((record, raw, int(self.clock() * 1000), self.pipeline_version))


class NormalizeFn(PooledBatchFn):
    """``(KafkaRecord, RawEntry)`` -> ``Dispatch``; an entry that raises becomes a ``Failure`` with its bytes."""

    def __init__(
        self, clock: Callable[[], float], pool_key: tuple | None, batch_size: int, journal: str | None = None
    ):
        super().__init__(STAGE, batch_size, clock, pool_key, journal=journal)
        self.version = __version__
        self.ok = Metrics.counter(STAGE, "ok")

    def setup(self) -> None:
        super().setup()
        if self.dedicated:  # a worker per core (NER on): the workers are busy enriching, normalize stays here
            self.pool_key = None
        if self.pool_key is None:
            self.batch_size = 1  # nothing waits for a batch that would not go to the pool

    def default_label(self) -> str:
        # the inner step label this ParDo has had since its first release ("ParDo(SafeFlatMap)"): Dataflow's
        # streaming --update matches steps by label (tests/pipeline/dataflow_step_labels.txt)
        return "SafeFlatMap"

    def accept(self, element: Any) -> BaseException | None:
        ok = (
            isinstance(element, tuple)
            and len(element) == 2
            and isinstance(element[0], KafkaRecord)
            and isinstance(element[1], RawEntry)
        )
        return None if ok else TypeError(f"expected (KafkaRecord, RawEntry), got {type(element).__name__}")

    def _items(self, values: list[Any]) -> list[tuple[KafkaRecord, RawEntry, int, str]]:
        now_ms = int(self.clock() * 1000)
        return [(record, raw, now_ms, self.version) for record, raw in values]

    def work_here(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for item in self._items(values):
            try:
                out.append(normalize_record(item))
            except Exception as exc:
                out.append(exc)
        return out

    def send(self, pool: EnrichPool, values: list[Any]) -> Future:
        # the worker needs the record's coordinates, not its bytes (the entry holds the text): half the pickling
        light = [
            (dataclasses.replace(r, key=None, value=None), raw, now, v)
            for r, raw, now, v in self._items(values)
        ]
        return pool.submit_each(normalize_and_sketch, light)

    def emit(self, wv: WindowedValue, result: Dispatch) -> Iterable[Any]:
        self.ok.inc()
        yield wv.with_value(result)


class NormalizeDispatches(beam.PTransform):
    """Normalize raw feed entries into Dispatches; entries that raise go to the ``failures`` output.

    The inner step label is fixed ("Normalize") so streaming updates match it.  ``pool`` = the stage pool's
    ``(processes, languages, ner)`` (the enrich stage's, pipeline/beam/graph.py); it is used only with fewer workers
    than the cores where the DoFn runs.  ``journal``: as ``EnrichDispatches``'.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        label: str | None = None,
        pool: tuple | None = None,
        batch_size: int = POOL_BATCH,
        journal: str | None = None,
    ):
        super().__init__(label)
        self.clock = clock
        self.pool = pool
        self.batch_size = batch_size
        self.journal = journal

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return pcoll | "Normalize" >> beam.ParDo(
            NormalizeFn(self.clock, self.pool, self.batch_size, self.journal)
        ).with_input_types(tuple[KafkaRecord, RawEntry]).with_output_types(
            Dispatch, **{FAILURES: Failure}
        ).with_outputs(FAILURES, main=MAIN)
