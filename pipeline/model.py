"""Typed records that cross stage boundaries.

Flow: poller -> ``RawEntry`` (raw topic) -> ``KafkaRecord`` (Beam source) -> ``Dispatch`` (normalize, then dedup
fills the story fields) -> ``EnrichedDispatch`` (enrich) -> Avro ``news_item``.  Every failing stage emits a
``Failure``.  All records are frozen dataclasses: cheap to pickle, hashable where Beam needs keys, and explicit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

TRANSIENT = "transient"  # dataclass field metadata: carried between stages in a process, never serialised

Precision = Literal["second", "day", "month", "year"]
EntityType = Literal["PERSON", "LOCATION", "ORGANIZATION", "MISC"]


@dataclass(frozen=True)
class KafkaRecord:
    """One record as read from Kafka, with its coordinates (used for ingest metadata and dead letters)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


@dataclass(frozen=True)
class RawEntry:
    """One feed entry as the poller saw it: text as given, dates as the raw strings, plus fetch metadata."""

    feed_url: str
    entry_key: str  # deliberate identity: GUID, else GUID+link, else hash(title+content)
    content_hash: str  # hash of title+summary+content as fetched; a change means an update
    guid: str | None = None
    link: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    content_type: str | None = None  # MIME type of `content` (text/html, text/plain)
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published_raw: str | None = None
    updated_raw: str | None = None
    feed_title: str | None = None
    feed_language: str | None = None
    fetched_at_ms: int = 0
    http_status: int | None = None
    http_etag: str | None = None
    http_last_modified: str | None = None
    http_content_type: str | None = None
    is_update: bool = False


@dataclass(frozen=True)
class Author:
    name: str
    role: str = "author"  # author | reporting | additional_reporting | editing | writing | contributor


@dataclass(frozen=True)
class Dateline:
    city: str | None = None  # as written: "KYIV"
    city_normalized: str | None = None  # "Kyiv"
    date_text: str | None = None  # "24 novembre", "Feb 26"
    agency: str | None = None  # canonical agency name: "Reuters"


@dataclass(frozen=True)
class Timestamp:
    millis: int  # UTC epoch milliseconds
    precision: Precision = "second"
    clamped: bool = False  # True when a future date beyond the allowed skew was clamped to ingest time


@dataclass(frozen=True)
class IngestMeta:
    raw_topic: str | None = None
    raw_partition: int | None = None
    raw_offset: int | None = None
    fetched_at_ms: int | None = None
    ingested_at_ms: int | None = None
    pipeline_version: str = ""


@dataclass(frozen=True)
class Dispatch:
    """A normalized dispatch. Dedup fills ``story_id``/``version``/``supersedes``; nothing else changes later."""

    id: str  # deterministic id of this version (uuid5 over story_id + version)
    uri: str | None  # canonical URL
    guid: str | None
    headline: str
    body: str  # clean text, paragraphs separated by blank lines, starting after the dateline
    feed_url: str
    outlet: str | None = None
    body_html: str | None = None  # sanitized HTML
    revision_hint: str | None = None  # "UPDATE 2", "MISE A JOUR 1", "CORRECTED", "EXCLUSIVE"
    authors: tuple[Author, ...] = ()
    dateline: Dateline | None = None
    agency: str | None = None
    published: Timestamp | None = None
    updated: Timestamp | None = None
    categories: tuple[str, ...] = ()
    language_hint: str | None = None  # from the feed, not detected
    content_hash: str = ""  # hash of normalized headline+body
    entry_key: str = ""
    is_update: bool = False
    story_id: str = ""
    version: int = 1
    supersedes: str | None = None
    change_summary: str | None = None
    ingest: IngestMeta = field(default_factory=IngestMeta)
    # Near-duplicate evidence of ``body`` (transforms/dedup/near.NearSketch) when it was computed where the dispatch
    # was normalized, i.e. in a stage pool worker with a core to spare; dedup takes it instead of shingling the body
    # again, then drops it.  Never written out (``TRANSIENT``); a plain default, so older pickles read None.
    near_sketch: Any = field(default=None, compare=False, repr=False, metadata={TRANSIENT: True})

    def replace(self, **changes: Any) -> Dispatch:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Entity:
    text: str  # canonical name
    type: EntityType
    count: int = 1
    first_offset: int = 0  # character offset in headline + "\n\n" + body
    salience: float = 0.0  # 0..1


@dataclass(frozen=True)
class Place:
    name: str
    country: str | None  # ISO 3166-1 alpha-2
    latitude: float | None = None
    longitude: float | None = None
    kind: Literal["country", "city", "region", "other"] = "other"


@dataclass(frozen=True)
class Topic:
    code: str  # IPTC Media Topic code, e.g. "medtop:11000000"
    label: str
    score: float


@dataclass(frozen=True)
class Enrichment:
    language: str | None = None  # ISO 639-1
    language_confidence: float = 0.0
    entities: tuple[Entity, ...] = ()
    places: tuple[Place, ...] = ()
    countries: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    errors: tuple[str, ...] = ()  # what could not be filled, e.g. "ner: no model for language 'sw'"
    # Evidence for event clustering (transforms/cluster/signals.Signature) when it was computed where the record was
    # enriched, i.e. in an enrich pool worker with a core to spare; never written out (``TRANSIENT``).
    cluster_signature: Any = field(default=None, compare=False, repr=False, metadata={TRANSIENT: True})


@dataclass(frozen=True)
class EnrichedDispatch:
    dispatch: Dispatch
    enrichment: Enrichment
    cluster_id: str | None = None  # event cluster across outlets and languages (transforms/cluster)

    def with_cluster(self, cluster_id: str) -> EnrichedDispatch:
        return dataclasses.replace(self, cluster_id=cluster_id)


@dataclass(frozen=True)
class Failure:
    """The one dead-letter shape for every stage (poller and pipeline)."""

    stage: str  # poll | decode | normalize | dedup | enrich | encode | write
    reason: str
    error_type: str
    original: bytes | None
    failed_at_ms: int
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    source_key: bytes | None = None
    feed_url: str | None = None
    pipeline_version: str = ""


@dataclass(frozen=True)
class DuplicateNotice:
    """An item the dedup stage did not emit, and which emitted version it duplicates (audit topic)."""

    story_id: str
    duplicate_of: str
    reason: Literal[
        "canonical_url",
        "guid",
        "content_hash",
        "near_duplicate",
        "unchanged_refeed",
        "cluster_merge",
        "other",
    ]
    similarity: float
    dispatch: Dispatch
    seen_at_ms: int
    cluster_id: str | None = None  # cluster_merge: the cluster the linking record joined
