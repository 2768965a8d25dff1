"""One raw entry as read from Kafka -> one Dispatch with its ingest metadata: the stage's whole per-item work.

A module of its own, without Beam: the stage pool's workers (transforms/enrich/pool.py) import it to normalize
batches for the pipeline process (stage.py), and importing Beam there would cost each worker seconds.
"""

from __future__ import annotations

from pipeline.model import Dispatch, IngestMeta, KafkaRecord, RawEntry
from pipeline.transforms.normalize.core import normalize_entry


def normalize_record(item: tuple[KafkaRecord, RawEntry, int, str]) -> Dispatch:
    """``(record, entry, now_ms, pipeline_version)`` -> the Dispatch with its ingest metadata (the record's
    coordinates, not its bytes, are used)."""
    record, raw, now_ms, version = item
    ingest = IngestMeta(
        raw_topic=record.topic,
        raw_partition=record.partition,
        raw_offset=record.offset,
        fetched_at_ms=raw.fetched_at_ms,
        ingested_at_ms=now_ms,
        pipeline_version=version,
    )
    return normalize_entry(raw, now_ms=now_ms, pipeline_version=version, ingest=ingest)
