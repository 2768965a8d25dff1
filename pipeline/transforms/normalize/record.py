"""One raw entry as read from Kafka -> one Dispatch with its ingest metadata: the stage's whole per-item work.

A module of its own, without Beam: the stage pool's workers (transforms/enrich/pool.py) import it to normalize
batches for the pipeline process (stage.py), and importing Beam there would cost each worker seconds.  Workers
also sketch the body for near-duplicate dedup (``normalize_and_sketch``).
"""

from __future__ import annotations

from pipeline.model import Dispatch, IngestMeta, KafkaRecord, RawEntry
from pipeline.transforms.dedup.near import near_sketch
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


def normalize_and_sketch(item: tuple[KafkaRecord, RawEntry, int, str]) -> Dispatch:
    """``normalize_record`` plus the body's near-duplicate sketch, which dedup would compute next in the pipeline
    process: what a stage pool worker does for it (the pipeline process is the bottleneck of a NER-off run)."""
    d = normalize_record(item)
    return d.replace(near_sketch=near_sketch(d.body))
