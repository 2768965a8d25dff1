"""Typed, frozen settings: one source of defaults for every command and worker.

Settings are validated once (CLI or pipeline options) and passed down; nothing deeper reads the environment.
Secrets are ``SecretStr`` so they never show up in logs, reprs or job graphs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

DEFAULT_STATE_DIR = Path(os.environ.get("NEWS_PIPELINE_HOME", ".news-pipeline"))
EMBEDDED_BROKER_FILE = "broker.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Frozen):
    """Connection settings passed to every Kafka client (poller, Beam source and sink, consumer)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "news-pipeline"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    # Kept for callers that hold the password themselves; launchers pass sasl_password_env / _secret instead, so
    # the password is read where the client is built (pipeline.bus.secrets) and never enters pickled state.
    sasl_password: SecretStr | None = None
    # Name of the environment variable holding the SASL password, read by the process that builds the client.
    sasl_password_env: str | None = "KAFKA_SASL_PASSWORD"
    # Secret Manager resource name of the SASL password, read where the client is built (Dataflow workers).
    sasl_password_secret: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_check_hostname: bool = True
    # Consumer group timing (tansu makes a group join wait for the whole rebalance timeout: keep it short).  Set it
    # through PipelineSettings.max_poll_interval_ms, which hands it down here.
    max_poll_interval_ms: int = Field(default=8000, gt=0)
    # Idempotent producers: "auto" turns them off on tansu, whose S3 engine stores a batch's producer sequence
    # before the batch itself, so a crash between the two acknowledges a retried batch it never wrote
    # (pipeline/bus/client.py, docs/broker.md).
    idempotence: Literal["auto", "on", "off"] = "auto"


class TopicSettings(_Frozen):
    raw: str = "news.raw"
    output: str = "news.items"
    dead_letter: str = "news.dlq"
    audit: str = "news.duplicates"
    partitions: int = Field(default=1, ge=1)


class FileSinkSettings(_Frozen):
    """Avro files derived from the output topic (pipeline/files): when a file is finished and made visible."""

    roll_s: float = Field(default=10.0, gt=0)  # a file is finished at most this long after its first record
    roll_records: int = Field(default=50_000, gt=0)
    roll_bytes: int = Field(default=64 * 1024 * 1024, gt=0)  # of Avro payload, before compression
    codec: Literal["null", "deflate", "snappy", "zstandard"] = "deflate"
    group_suffix: str = "-files"  # the sink commits under <pipeline group><suffix>, for lag tools


STREAM_CHUNK_S = 1.0
# A drain's bundles are longer: every bundle ends with the stages' pipelines emptied (batches in the stage pool
# waited for, writes flushed) while a core idles, and a 1 s bundle paid that every ~150 items (3,000-item NER-off
# drain with one stage worker: steady 93 items/s with 1 s chunks, 238/s with 5 s; docs/performance.md).  After a
# crash a drain replays at most one chunk, which dedup absorbs.
DRAIN_CHUNK_S = 5.0


class PipelineSettings(_Frozen):
    """What the Beam pipeline needs besides Beam's own options."""

    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    consumer_group: str = "news-pipeline"
    mode: Literal["drain", "stream"] = "drain"
    out_dir: str = "out"
    files: FileSinkSettings = FileSinkSettings()
    # Each read chunk is one bundle whose offsets are committed after its writes flushed; a chunk ends after this
    # many seconds (or max_records_per_chunk records), so commits come at a bounded interval.  None: 1 s in stream
    # mode, DRAIN_CHUNK_S in drain mode (``chunk_s``).
    commit_interval_s: float | None = Field(default=None, gt=0)
    # Largest encoded news_item sent to the output topic (the producer's max_request_size; keep it at or below the
    # broker's/topic's max.message.bytes).  A larger item becomes a dead letter instead of stopping the pipeline.
    max_record_bytes: int = Field(default=1_000_000, gt=1024)
    dedup_horizon_s: int = Field(default=7 * 24 * 3600, gt=0)
    # Where dedup keeps its state: keyed Beam state (any runner; TTL timers bound it where timers work), or one
    # in-process index (the single-process local runner; bounded by the horizon and dedup_max_items).
    dedup_state: Literal["auto", "keyed", "in-process"] = "auto"
    dedup_max_items: int = Field(default=200_000, gt=0)  # stories an in-process index tracks at most
    max_poll_interval_ms: int = (
        8000  # handed down to kafka.max_poll_interval_ms (every consumer reads it there)
    )
    idle_stop_s: float | None = None  # stream mode: stop after this long without records (tests, demos)
    ner: bool = True
    # Enrich worker processes beside the pipeline's own (transforms/enrich/pool.py).  None: automatic (the other
    # cores, with NER on the single-process local runner while they are idle; never on Dataflow); 0: off.
    enrich_processes: int | None = Field(default=None, ge=0)
    kafka_io: Literal["python", "xlang"] = "python"
    # Output wire format: Avro single-object encoding unless a schema registry is configured (then Confluent's).
    schema_registry_url: str | None = None
    subject_strategy: Literal["topic", "record", "topic-record"] = "topic"

    def chunk_s(self) -> float:
        """Seconds of reading per bundle (and between offset commits): ``commit_interval_s`` or the mode's default."""
        if self.commit_interval_s is not None:
            return self.commit_interval_s
        return DRAIN_CHUNK_S if self.mode == "drain" else STREAM_CHUNK_S

    @model_validator(mode="before")
    @classmethod
    def _hand_down_poll_interval(cls, data: Any) -> Any:
        """``max_poll_interval_ms`` is declared here (an option of the pipeline) and used by the Kafka clients."""
        if isinstance(data, dict) and data.get("max_poll_interval_ms") is not None:
            kafka = data.get("kafka", {})
            if isinstance(kafka, KafkaSettings):
                kafka = kafka.model_dump()
            data = {**data, "kafka": {**kafka, "max_poll_interval_ms": data["max_poll_interval_ms"]}}
        return data
