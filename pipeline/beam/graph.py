"""Build the pipeline: raw topic -> decode -> normalize -> dedup -> enrich -> Avro -> output topic + files.

Every stage's failures are flattened into one dead-letter topic; duplicates go to the audit topic.  Step labels
are fixed strings: Dataflow's streaming ``--update`` matches steps by label, and a test snapshots them.
The streaming path has no GroupByKey, so read -> ... -> write stays fused and the source's bundle finalizer commits
offsets only after the writes of the same bundle were flushed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import apache_beam as beam

from pipeline.avro.codec import (
    decode_raw_entry,
    encode,
    encode_duplicate,
    encode_failure,
    news_item_to_avro,
)
from pipeline.avro.files import WriteAvroFilesFn
from pipeline.beam.failures import FAILURES, SafeFlatMap
from pipeline.beam.kafka_io import ReadConfig, ReadFromKafkaPy, WriteToKafkaPy
from pipeline.model import DuplicateNotice, EnrichedDispatch, Failure, KafkaRecord, RawEntry
from pipeline.settings import PipelineSettings
from pipeline.transforms.dedup import DUPLICATES, DeduplicateStories
from pipeline.transforms.dedup.restore import RestoreSource
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.normalize import NormalizeDispatches

Clock = Callable[[], float]


def decode_record(record: KafkaRecord) -> Iterator[tuple[KafkaRecord, RawEntry]]:
    if record.value is None:
        raise ValueError("empty raw record (tombstone)")
    yield record, decode_raw_entry(record.value)


def encode_item(item: EnrichedDispatch) -> Iterator[tuple[bytes, bytes]]:
    record = news_item_to_avro(item)
    yield item.dispatch.story_id.encode(), encode("news_item", record)


def item_record(item: EnrichedDispatch) -> Iterator[dict]:
    yield news_item_to_avro(item)


def failure_kv(f: Failure) -> tuple[bytes | None, bytes]:
    return f.source_key, encode_failure(f)


def duplicate_kv(n: DuplicateNotice) -> tuple[bytes, bytes]:
    return n.story_id.encode(), encode_duplicate(n)


class ReadRawEntries(beam.PTransform):
    """The raw topic as ``KafkaRecord``s, with this project's Python IO or Beam's Java cross-language IO."""

    def __init__(self, settings: PipelineSettings):
        super().__init__()
        self.settings = settings

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[KafkaRecord]:
        s = self.settings
        if s.kafka_io == "xlang":
            from apache_beam.io.kafka import ReadFromKafka  # needs Java + the expansion service jar

            cfg = {
                "bootstrap.servers": s.kafka.bootstrap_servers,
                "group.id": s.consumer_group,
                "auto.offset.reset": "earliest",
                "security.protocol": s.kafka.security_protocol,
            }
            return (
                pbegin
                | "ReadFromKafkaXlang"
                >> ReadFromKafka(
                    consumer_config=cfg,
                    topics=[s.topics.raw],
                    with_metadata=True,
                    commit_offset_in_finalize=True,
                )
                | "ToKafkaRecord"
                >> beam.Map(
                    lambda r: KafkaRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
                ).with_output_types(KafkaRecord)
            )
        cfg = ReadConfig(s.kafka, s.consumer_group, mode=s.mode, idle_stop_s=s.idle_stop_s)
        return pbegin | "ReadKafkaPython" >> ReadFromKafkaPy(cfg, [s.topics.raw])


def build(p: beam.Pipeline, settings: PipelineSettings, clock: Clock = time.time) -> None:
    """Add the whole news pipeline to ``p``."""
    s = settings
    records = p | "ReadRawEntries" >> ReadRawEntries(s)
    decoded = records | "DecodeRawEntries" >> beam.ParDo(
        SafeFlatMap("decode", decode_record, clock)
    ).with_outputs(FAILURES, main="main")
    normalized = decoded.main | "NormalizeDispatches" >> NormalizeDispatches(clock=clock)
    restore = RestoreSource(s.kafka, s.topics.output, run=uuid.uuid4().hex)  # dedup survives restarts
    deduped = normalized["main"] | "DeduplicateStories" >> DeduplicateStories(
        s.dedup_horizon_s, clock, restore=restore
    )
    enriched = deduped["main"] | "EnrichDispatches" >> EnrichDispatches(ner=s.ner)
    encoded = enriched["main"] | "EncodeAvro" >> beam.ParDo(
        SafeFlatMap("encode", encode_item, clock)
    ).with_outputs(FAILURES, main="main")
    _ = encoded.main | "WriteNewsItems" >> WriteToKafkaPy(s.kafka, s.topics.output)
    stage_failures = [decoded[FAILURES], normalized[FAILURES], enriched[FAILURES], encoded[FAILURES]]
    if s.out_dir:
        file_records = enriched["main"] | "ToAvroRecords" >> beam.ParDo(
            SafeFlatMap("files", item_record, clock)
        ).with_outputs(FAILURES, main="main")
        _ = file_records.main | "WriteAvroFiles" >> beam.ParDo(WriteAvroFilesFn(s.out_dir, clock=clock))
        stage_failures.append(file_records[FAILURES])
    _ = (
        deduped[DUPLICATES]
        | "EncodeDuplicates" >> beam.Map(duplicate_kv)
        | "WriteDuplicates" >> WriteToKafkaPy(s.kafka, s.topics.audit)
    )
    failures = tuple(stage_failures) | "CollectFailures" >> beam.Flatten()
    _ = (
        failures
        | "EncodeFailures" >> beam.Map(failure_kv)
        | "WriteDeadLetters" >> WriteToKafkaPy(s.kafka, s.topics.dead_letter)
    )
