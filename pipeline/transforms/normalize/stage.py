"""The Beam wrapper of the normalize stage: ``(KafkaRecord, RawEntry)`` in, ``Dispatch`` out, failures tagged.

In: a PCollection of ``(KafkaRecord, RawEntry)`` (the decoded raw topic).  Out: a ``DoOutputsTuple`` whose main
output ``["main"]`` holds ``Dispatch`` records and whose ``["failures"]`` output holds one ``Failure`` per entry that
could not be normalized.  All logic lives in ``core.normalize_entry``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import apache_beam as beam

from pipeline import __version__
from pipeline.beam.failures import FAILURES, SafeFlatMap
from pipeline.model import Dispatch, Failure, IngestMeta, KafkaRecord, RawEntry
from pipeline.transforms.normalize.core import normalize_entry

STAGE = "normalize"
MAIN = "main"  # the main-output tag every stage of graph.py uses


class NormalizeRecord:
    """Picklable callable for SafeFlatMap: one Kafka-decoded entry -> one Dispatch with its ingest metadata."""

    def __init__(self, clock: Callable[[], float] = time.time, pipeline_version: str = __version__):
        self.clock = clock
        self.pipeline_version = pipeline_version

    def __call__(self, element: tuple[KafkaRecord, RawEntry]) -> Iterator[Dispatch]:
        record, raw = element
        now_ms = int(self.clock() * 1000)
        ingest = IngestMeta(
            raw_topic=record.topic,
            raw_partition=record.partition,
            raw_offset=record.offset,
            fetched_at_ms=raw.fetched_at_ms,
            ingested_at_ms=now_ms,
            pipeline_version=self.pipeline_version,
        )
        yield normalize_entry(raw, now_ms=now_ms, pipeline_version=self.pipeline_version, ingest=ingest)


class NormalizeDispatches(beam.PTransform):
    """Normalize raw feed entries into Dispatches; entries that raise go to the ``failures`` output.

    The inner step label is fixed ("Normalize") so streaming updates match it.
    """

    def __init__(self, clock: Callable[[], float] = time.time, label: str | None = None):
        super().__init__(label)
        self.clock = clock

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return pcoll | "Normalize" >> beam.ParDo(
            SafeFlatMap(STAGE, NormalizeRecord(self.clock), self.clock)
        ).with_input_types(tuple[KafkaRecord, RawEntry]).with_output_types(
            Dispatch, **{FAILURES: Failure}
        ).with_outputs(FAILURES, main=MAIN)
