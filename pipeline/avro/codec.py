"""Typed records <-> Avro, in Avro single-object encoding (``C3 01`` + 8-byte CRC-64-AVRO fingerprint + body).

In: ``RawEntry``, ``Failure``, ``EnrichedDispatch`` (as ``news_item``), duplicate notices (dicts).  Out: bytes that
any Avro implementation can decode with the schema found by fingerprint; and back.  Writes validate strictly.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from functools import lru_cache
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from pipeline.avro.schemas import LoadedSchema, schema, writers_by_fingerprint
from pipeline.model import DuplicateNotice, EnrichedDispatch, Failure, RawEntry

SINGLE_OBJECT_MAGIC = b"\xc3\x01"


class AvroDecodeError(ValueError):
    """Bytes that are not a known single-object encoded record."""


def encode(name: str, record: dict[str, Any]) -> bytes:
    s = schema(name)
    buf = io.BytesIO()
    buf.write(SINGLE_OBJECT_MAGIC)
    buf.write(s.fingerprint)
    schemaless_writer(buf, s.parsed, record, strict_allow_default=True)
    return buf.getvalue()


def decode(name: str, data: bytes) -> dict[str, Any]:
    """Decode single-object bytes written with any known version of ``name`` into the current schema."""
    writer, reader = _writer_for(name, data), schema(name)
    return _read(name, data, writer.parsed, reader.parsed)


def decode_jsonable(name: str, data: bytes) -> dict[str, Any]:
    """``jsonable(decode(name, data))`` without building datetimes and UUIDs only to turn them back: the writer and
    reader schemas are read with their logical types left out (``plain``), so timestamps come as the epoch millis
    written and UUIDs as the strings written (this project writes them canonical: ``str(uuid)``).  Schemas with
    ``bytes`` fields (``failure``) keep ``jsonable``, whose latin-1 text is no Avro type.  Restores read the whole
    output topic this way: jsonable was the largest part of decoding a news item."""
    writer, reader = _writer_for(name, data), schema(name)
    if _has_bytes(reader.fingerprint):
        return jsonable(_read(name, data, writer.parsed, reader.parsed))
    return _read(name, data, plain(writer.fingerprint), plain(reader.fingerprint))


def datum_of(name: str, data: bytes | None) -> memoryview | None:
    """The Avro datum of single-object ``data`` (the bytes after the 10-byte header) when it was written with the
    current ``name`` schema and reads whole under it; None otherwise (another version or schema, not single-object,
    corrupt, trailing bytes: ``decode`` says which).  The datum is read by skipping every field (a reader schema of
    the same name without fields), which checks every length, union branch and varint and builds nothing: a 4 KB
    news item in ~15 us against ~55 us to decode it.  The file sink copies such datums into its files as they are
    (files/writer.py ``append_datum``)."""
    s = schema(name)
    if data is None or len(data) < 10 or data[:2] != SINGLE_OBJECT_MAGIC or data[2:10] != s.fingerprint:
        return None
    body = io.BytesIO(data)
    body.seek(10)
    try:
        schemaless_reader(body, s.parsed, _fieldless(name))
    except Exception:  # fastavro raises a mix of EOFError/ValueError/IndexError/...
        return None
    return memoryview(data)[10:] if body.tell() == len(data) else None


@lru_cache(maxsize=8)
def _fieldless(name: str) -> Any:
    """A reader schema for ``name`` with no fields: schema resolution skips every field the writer wrote."""
    raw = schema(name).raw
    return parse_schema(
        {"type": "record", "name": raw["name"], "namespace": raw.get("namespace"), "fields": []}
    )


def _writer_for(name: str, data: bytes) -> LoadedSchema:
    writer = writer_of(data)
    if writer.name != name:
        raise AvroDecodeError(f"expected a {name} record, got {writer.name} ({writer.version})")
    return writer


def _read(name: str, data: bytes, writer: Any, reader: Any) -> dict[str, Any]:
    try:
        return schemaless_reader(io.BytesIO(data[10:]), writer, reader)
    except Exception as exc:  # fastavro raises a mix of EOFError/ValueError/IndexError/...
        raise AvroDecodeError(f"corrupt {name} record: {type(exc).__name__}: {exc}") from exc


def _without_logical_types(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_without_logical_types(v) for v in node]
    return node


@lru_cache(maxsize=64)
def plain(fingerprint: bytes) -> Any:
    """A known schema (by fingerprint), parsed without its logical types."""
    return parse_schema(_without_logical_types(writers_by_fingerprint()[fingerprint].raw))


@lru_cache(maxsize=64)
def _has_bytes(fingerprint: bytes) -> bool:
    """Whether the schema may hold ``bytes`` (any value spelled "bytes": a false alarm only costs the slow path)."""
    return '"bytes"' in json.dumps(writers_by_fingerprint()[fingerprint].raw)


def writer_of(data: bytes | None) -> LoadedSchema:
    if not data or len(data) < 10 or data[:2] != SINGLE_OBJECT_MAGIC:
        raise AvroDecodeError("not Avro single-object encoding (missing C3 01 header)")
    writer = writers_by_fingerprint().get(bytes(data[2:10]))
    if writer is None:
        raise AvroDecodeError(f"unknown schema fingerprint {bytes(data[2:10]).hex()}")
    return writer


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)


def millis(value: Any) -> int | None:
    """fastavro returns timestamp-millis as aware datetimes; the project passes epoch milliseconds.

    Exact integer arithmetic: ``datetime.timestamp() * 1000`` is a float and loses a millisecond on some values.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return (value - _EPOCH) // _MS
    return int(value)


def _str(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


# --- raw entries -------------------------------------------------------------------------------------------


def raw_entry_to_avro(e: RawEntry) -> dict[str, Any]:
    return {
        "feed_url": e.feed_url,
        "entry_key": e.entry_key,
        "content_hash": e.content_hash,
        "guid": e.guid,
        "link": e.link,
        "title": e.title,
        "summary": e.summary,
        "content": e.content,
        "content_type": e.content_type,
        "authors": list(e.authors),
        "categories": list(e.categories),
        "published_raw": e.published_raw,
        "updated_raw": e.updated_raw,
        "feed_title": e.feed_title,
        "feed_language": e.feed_language,
        "fetched_at": e.fetched_at_ms,
        "http_status": e.http_status,
        "http_etag": e.http_etag,
        "http_last_modified": e.http_last_modified,
        "http_content_type": e.http_content_type,
        "is_update": e.is_update,
    }


def encode_raw_entry(e: RawEntry) -> bytes:
    return encode("raw_entry", raw_entry_to_avro(e))


def decode_raw_entry(data: bytes) -> RawEntry:
    d = decode("raw_entry", data)
    d["fetched_at_ms"] = millis(d.pop("fetched_at")) or 0
    d["authors"] = tuple(d["authors"])
    d["categories"] = tuple(d["categories"])
    return RawEntry(**d)


# --- failures ----------------------------------------------------------------------------------------------


def failure_to_avro(f: Failure) -> dict[str, Any]:
    return {
        "stage": f.stage,
        "reason": f.reason,
        "error_type": f.error_type,
        "original": f.original,
        "failed_at": f.failed_at_ms,
        "source_topic": f.source_topic,
        "source_partition": f.source_partition,
        "source_offset": f.source_offset,
        "source_key": f.source_key,
        "feed_url": f.feed_url,
        "pipeline_version": f.pipeline_version,
    }


def encode_failure(f: Failure) -> bytes:
    return encode("failure", failure_to_avro(f))


def decode_failure(data: bytes) -> Failure:
    d = decode("failure", data)
    d["failed_at_ms"] = millis(d.pop("failed_at")) or 0
    return Failure(**d)


# --- news items ----------------------------------------------------------------------------------------------


def news_item_to_avro(item: EnrichedDispatch, outlets: tuple[str, ...] = ()) -> dict[str, Any]:
    d, e = item.dispatch, item.enrichment
    pub = d.published
    return {
        "id": d.id,
        "version": d.version,
        "story_id": d.story_id,
        "cluster_id": item.cluster_id,
        "supersedes": d.supersedes,
        "change_summary": d.change_summary,
        "uri": d.uri,
        "guid": d.guid,
        "pubstatus": "usable",
        "headline": d.headline,
        "revision_hint": d.revision_hint,
        "body": d.body,
        "body_html": d.body_html,
        "language": e.language,
        "language_confidence": float(e.language_confidence),
        "published": pub.millis if pub else None,
        "published_precision": pub.precision if pub else "second",
        "published_clamped": bool(pub and pub.clamped),
        "updated": d.updated.millis if d.updated else None,
        "versioncreated": d.ingest.ingested_at_ms or 0,
        "authors": [{"name": a.name, "role": a.role} for a in d.authors],
        "dateline": None
        if d.dateline is None
        else {
            "city": d.dateline.city,
            "city_normalized": d.dateline.city_normalized,
            "date": d.dateline.date_text,
            "agency": d.dateline.agency,
        },
        "agency": d.agency,
        "entities": [
            {
                "text": x.text,
                "type": x.type,
                "count": x.count,
                "first_offset": x.first_offset,
                "salience": x.salience,
            }
            for x in e.entities
        ],
        "places": [
            {
                "name": p.name,
                "country": p.country,
                "latitude": p.latitude,
                "longitude": p.longitude,
                "kind": p.kind,
            }
            for p in e.places
        ],
        "countries": list(e.countries),
        "keywords": list(e.keywords),
        "subjects": [{"code": t.code, "label": t.label, "score": t.score} for t in e.topics],
        "categories": list(d.categories),
        "source": {"feed_url": d.feed_url, "outlet": d.outlet},
        "outlets": list(outlets or ((d.outlet,) if d.outlet else ())),
        "content_hash": d.content_hash,
        "enrichment_errors": list(e.errors),
        "ingest": {
            "raw_topic": d.ingest.raw_topic,
            "raw_partition": d.ingest.raw_partition,
            "raw_offset": d.ingest.raw_offset,
            "fetched_at": d.ingest.fetched_at_ms,
            "pipeline_version": d.ingest.pipeline_version,
        },
    }


def encode_news_item(item: EnrichedDispatch) -> bytes:
    return encode("news_item", news_item_to_avro(item))


def decode_news_item(data: bytes) -> dict[str, Any]:
    """News items are consumed as dicts (the schema is the contract); timestamps as epoch millis."""
    return decode_jsonable("news_item", data)


def jsonable(value: Any) -> Any:
    """Avro-decoded values -> JSON-ready: datetimes to epoch millis, UUIDs to strings, bytes to latin-1 text."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return millis(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return _str(value)


# --- duplicate notices ---------------------------------------------------------------------------------------


def duplicate_to_avro(n: DuplicateNotice) -> dict[str, Any]:
    d = n.dispatch
    return {
        "story_id": n.story_id,
        "duplicate_of": n.duplicate_of,
        "reason": n.reason,
        "similarity": float(n.similarity),
        "uri": d.uri,
        "headline": d.headline,
        "feed_url": d.feed_url,
        "outlet": d.outlet,
        "seen_at": n.seen_at_ms,
        "raw_topic": d.ingest.raw_topic,
        "raw_partition": d.ingest.raw_partition,
        "raw_offset": d.ingest.raw_offset,
        "cluster_id": n.cluster_id,
    }


def encode_duplicate(n: DuplicateNotice) -> bytes:
    return encode("duplicate", duplicate_to_avro(n))


def decode_any(data: bytes) -> tuple[str, dict[str, Any]]:
    """Decode any known record by its fingerprint: (schema name, JSON-ready dict)."""
    writer = writer_of(data)
    return writer.name, jsonable(decode(writer.name, data))
