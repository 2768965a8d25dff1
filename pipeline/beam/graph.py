"""Build the pipeline: raw topic -> decode -> normalize -> dedup -> enrich -> cluster -> Avro -> output topic + files.

Every stage's failures are flattened into one dead-letter topic; duplicates and cluster merges go to the audit topic.  Step labels
are fixed strings: Dataflow's streaming ``--update`` matches steps by label, and a test snapshots them.
The streaming path has no GroupByKey, so read -> ... -> write stays fused and the source's bundle finalizer commits
offsets only after the writes of the same bundle were flushed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import apache_beam as beam

from pipeline.avro.codec import (
    decode_raw_entry,
    encode_duplicate,
    encode_failure,
    news_item_to_avro,
)
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import ConfluentEncoder, Encoder, SingleObjectEncoder
from pipeline.beam import readahead
from pipeline.beam.failures import FAILURES, SafeFlatMap
from pipeline.bus.read import drain_backlog
from pipeline.dlq.written import SkipWrittenFn
from pipeline.io.kafka.sink import WriteToKafkaPy
from pipeline.io.kafka.source import ReadFromKafkaPy
from pipeline.io.kafka.specs import LOCAL_LIVE_CHUNK_S, ReadConfig
from pipeline.model import DuplicateNotice, EnrichedDispatch, Failure, KafkaRecord, RawEntry
from pipeline.settings import DEFAULT_STATE_DIR, KafkaSettings, PipelineSettings
from pipeline.transforms.cluster import MERGES, ClusterEvents
from pipeline.transforms.cluster import restore as cluster_restore
from pipeline.transforms.dedup import DUPLICATES, DeduplicateStories
from pipeline.transforms.dedup.restore import RestoreSource
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.stage import auto_processes
from pipeline.transforms.normalize import NormalizeDispatches

Clock = Callable[[], float]


# Raw records larger than this are refused by the decode stage (a dead letter, with the head of the bytes): the
# poller never sends one (it caps entries to fit the broker), so such a record is someone else's mistake.
MAX_RAW_RECORD_BYTES = 8 * 1024 * 1024


def decode_record(record: KafkaRecord) -> Iterator[tuple[KafkaRecord, RawEntry]]:
    if record.value is None:
        raise ValueError("empty raw record (tombstone)")
    if len(record.value) > MAX_RAW_RECORD_BYTES:
        raise ValueError(f"raw record of {len(record.value):,} bytes exceeds {MAX_RAW_RECORD_BYTES:,} bytes")
    yield record, decode_raw_entry(record.value)


class ItemEncoder:
    """EnrichedDispatch -> (story_id, news_item bytes) in the configured wire format.

    Only the small config is pickled; the encoder (and its registry client) is built on first use in the worker.
    """

    def __init__(
        self, registry_url: str | None, topic: str, strategy: str = "topic", max_bytes: int = 1_000_000
    ):
        self.registry_url, self.topic, self.strategy = registry_url, topic, strategy
        self.max_bytes = max_bytes
        self._encoder: Encoder | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_encoder": None}

    def __call__(self, item: EnrichedDispatch) -> Iterator[tuple[bytes, bytes]]:
        if self._encoder is None:
            self._encoder = (
                ConfluentEncoder(registry_from_url(self.registry_url), self.topic, self.strategy)
                if self.registry_url
                else SingleObjectEncoder()
            )
        value = self._encoder.encode("news_item", news_item_to_avro(item))
        if len(value) > self.max_bytes:
            raise RecordTooLarge(
                f"news_item of {len(value):,} bytes exceeds the output's max record size {self.max_bytes:,} "
                "(max_record_bytes)"
            )
        yield item.dispatch.story_id.encode(), value


class RecordTooLarge(ValueError):
    """An encoded record larger than the topic accepts: a dead letter, never a stuck pipeline."""


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
        live = {"live_chunk_s": LOCAL_LIVE_CHUNK_S} if single_process(pbegin.pipeline) else {}
        cfg = ReadConfig(
            s.kafka, s.consumer_group, mode=s.mode, idle_stop_s=s.idle_stop_s, max_chunk_s=s.chunk_s(), **live
        )
        return pbegin | "ReadKafkaPython" >> ReadFromKafkaPy(cfg, [s.topics.raw])


def single_process(p: beam.Pipeline) -> bool:
    """True for the portable local runner with one SDK worker: everything runs in this process."""
    from apache_beam.options.pipeline_options import DirectOptions

    local = type(p.runner).__name__ in ("FnApiRunner", "DirectRunner", "SwitchingDirectRunner")
    return local and p.options.view_as(DirectOptions).direct_num_workers == 1  # 0 would mean one per core


def _journal_prefix(s: PipelineSettings) -> str:
    """``<state dir>/journal/<consumer group>``: one pipeline's journals, found again by its next run."""
    return os.path.join(os.path.abspath(DEFAULT_STATE_DIR), "journal", s.consumer_group.replace(os.sep, "_"))


def build(p: beam.Pipeline, settings: PipelineSettings, clock: Clock = time.time) -> None:
    """Add the whole news pipeline to ``p``."""
    s = settings
    records = p | "ReadRawEntries" >> ReadRawEntries(s)
    decoded = records | "DecodeRawEntries" >> beam.ParDo(
        SafeFlatMap("decode", decode_record, clock)
    ).with_outputs(FAILURES, main="main")
    # the stage pool (transforms/enrich/pool.py) of this run, shared by enrich and, without NER, normalize
    processes = s.enrich_processes
    if processes is None:  # a drain's backlog may be too small for a pool to pay for its start-up
        processes = auto_processes(p, s.ner, backlog=drain_backlog(s))
    one_process = single_process(p)
    # the items the pipeline process works itself, noted meanwhile (beam/journal.py): where the DoFns run here
    journal = _journal_prefix(s) if one_process else None
    normalized = decoded.main | "NormalizeDispatches" >> NormalizeDispatches(
        clock=clock, pool=(processes, None, s.ner), journal=f"{journal}.normalize" if journal else None
    )
    run_id = uuid.uuid4().hex
    # dedup survives restarts: state is rebuilt from the output topic, in the wire format the output is written in
    restore = RestoreSource(s.kafka, s.topics.output, run=run_id, registry_url=s.schema_registry_url)
    in_process = s.dedup_state == "in-process" or (s.dedup_state == "auto" and one_process)
    deduped = normalized["main"] | "DeduplicateStories" >> DeduplicateStories(
        s.dedup_horizon_s,
        clock,
        ttl_timers=not one_process,  # the local runner fires timers early (docs/dedup.md); Dataflow's are real
        restore=restore,
        in_process=in_process,
        max_items=s.dedup_max_items,
        run=run_id,
    )
    enriched = deduped["main"] | "EnrichDispatches" >> EnrichDispatches(
        ner=s.ner, processes=processes, journal=f"{journal}.enrich" if journal else None
    )
    # Event clusters across outlets and languages; same state placement and restore source as dedup.  With a core to
    # spare on the local runner, clustering's restore starts now in a helper process (cluster/restore.py, Prefetch).
    if in_process and processes > 0:
        cluster_restore.prefetch(restore, s.dedup_horizon_s, clock())
    if in_process:  # the restores and the dead-letter read, started together now (readahead.py)
        readahead.start(restore, s, run_id, clock())
    clustered = enriched["main"] | "ClusterEvents" >> ClusterEvents(
        s.dedup_horizon_s,
        clock,
        restore=restore,
        in_process=in_process,
        max_items=s.dedup_max_items,
        run=run_id,
        ttl_timers=not one_process,
    )
    encoded = clustered["main"] | "EncodeAvro" >> beam.ParDo(
        SafeFlatMap(
            "encode",
            ItemEncoder(s.schema_registry_url, s.topics.output, s.subject_strategy, s.max_record_bytes),
            clock,
        )
    ).with_outputs(FAILURES, main="main")
    _ = encoded.main | "WriteNewsItems" >> WriteToKafkaPy(
        s.kafka, s.topics.output, dead_letter_topic=s.topics.dead_letter, max_record_bytes=s.max_record_bytes
    )
    # Avro files are derived from the output topic by the file sink (pipeline/files), not written here: that way
    # a file holds a record if and only if the topic does, whatever crashes (docs/crash-consistency.md).
    failures = {"Decode": decoded, "Normalize": normalized, "Enrich": enriched, "Encode": encoded}
    # Every side output is written by its own sink step instead of being flattened first: on the local runner a
    # Flatten ends the fused stage, so its writes would wait for the end of the run and miss the offset commit.
    for step, notices in zip(("Identity", "Content", "Near"), deduped[DUPLICATES], strict=False):
        _ = notices | f"Audit{step}" >> WriteAuditRecords(s.kafka, s.topics.audit)
    _ = clustered[MERGES] | "AuditClusterMerges" >> WriteAuditRecords(s.kafka, s.topics.audit)
    for step, outputs in failures.items():
        _ = outputs[FAILURES] | f"DeadLetters{step}" >> WriteDeadLetters(
            s.kafka, s.topics.dead_letter, s.dedup_horizon_s, run_id
        )


class WriteDeadLetters(beam.PTransform):
    """Failure -> failure.avsc bytes -> the dead-letter topic, keyed by the source record's key; once each."""

    def __init__(self, kafka: KafkaSettings, topic: str, horizon_s: int = 7 * 24 * 3600, run: str = ""):
        super().__init__()
        self.kafka, self.topic, self.horizon_s, self.run = kafka, topic, horizon_s, run

    def expand(self, failures: beam.PCollection[Failure]) -> beam.PCollection[None]:
        return (
            failures
            | "SkipWritten" >> beam.ParDo(SkipWrittenFn(self.kafka, self.topic, self.horizon_s, self.run))
            | "Encode" >> beam.Map(failure_kv)
            | "Write" >> WriteToKafkaPy(self.kafka, self.topic)
        )


class WriteAuditRecords(beam.PTransform):
    """DuplicateNotice -> duplicate.avsc bytes -> the audit topic, keyed by story_id."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        super().__init__()
        self.kafka, self.topic = kafka, topic

    def expand(self, notices: beam.PCollection[DuplicateNotice]) -> beam.PCollection[None]:
        return (
            notices | "Encode" >> beam.Map(duplicate_kv) | "Write" >> WriteToKafkaPy(self.kafka, self.topic)
        )
