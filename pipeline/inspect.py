"""``news-pipeline inspect``: local files or URLs -> normalize -> dedup -> enrich -> cluster -> JSON lines, no Kafka.

In: paths or URLs in the order given: a plain-text dispatch (like the seed), an HTML page, or an RSS/Atom/JSON
feed.  Out: one JSON object per emitted item, with the ``news_item`` Avro schema's field names (the record is
validated against the schema, ``cluster_id`` included); with ``show_duplicates`` also the suppressed items with
``duplicate_of`` and the cluster merges.
The same pure functions as the Beam stages run here, in input order.  Input is bounded: a file or response larger
than ``max_bytes`` is refused while reading (streamed, never loaded whole), and so are empty files, binary data and
feeds without entries: each with a ``UserError`` naming the source, never a junk record.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.model import DuplicateNotice, EnrichedDispatch, IngestMeta, RawEntry
from pipeline.ops.errors import UserError
from pipeline.ops.readers import MAX_SOURCE_BYTES, as_text, http_get, read_file
from pipeline.poller.parse import parse_feed

if TYPE_CHECKING:
    from pipeline.transforms.enrich import Enricher

Clock = Callable[[], float]
_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF|channel)\b", re.I)
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|body|p|div)\b", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
Fetch = Callable[[str, int], tuple[bytes, dict[str, str]]]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_source(
    source: str, now_ms: int, fetch: Fetch | None = None, max_bytes: int = MAX_SOURCE_BYTES
) -> list[RawEntry]:
    """Turn one path or URL into raw entries, sniffing what it is; ``UserError`` for input that is not news."""
    if re.match(r"https?://", source):
        body, headers = (fetch or http_get)(source, max_bytes)
        origin = source
    else:
        path = Path(source)
        body, headers, origin = read_file(path, max_bytes), {}, path.resolve().as_uri()
    if not body.strip():
        raise UserError(f"{source} is empty: nothing to inspect", exit_code=2)
    head = body[:2048].lstrip()
    is_json_feed = head.startswith(b"{") and b"jsonfeed" in body[:4096]
    if _FEED_SNIFF.search(head) or is_json_feed:
        entries = parse_feed(body, headers, origin, now_ms).entries
        if not entries:
            raise UserError(f"{source} looks like a feed but has no entries I can read", exit_code=2)
        return entries
    text = as_text(source, body)
    if _HTML_SNIFF.search(head):
        m = _TITLE.search(text)
        title = re.sub(r"\s+", " ", m.group(1)).strip() if m else None
        return [_document_entry(origin, title, text, "text/html", body, now_ms)]
    return [_document_entry(origin, None, text, "text/plain", body, now_ms)]


def _document_entry(
    origin: str, title: str | None, content: str, ctype: str, body: bytes, now_ms: int
) -> RawEntry:
    digest = _sha(body)
    return RawEntry(
        feed_url=origin,
        entry_key=f"doc:{digest}",
        content_hash=digest,
        link=origin if origin.startswith("http") else None,
        title=title,
        content=content,
        content_type=ctype,
        fetched_at_ms=now_ms,
    )


def inspect_sources(
    sources: Iterable[str],
    *,
    enricher: Enricher | None = None,
    show_duplicates: bool = False,
    clock: Clock = time.time,
    max_bytes: int = MAX_SOURCE_BYTES,
    ner: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield JSON-ready records: emitted news items, and (optionally) duplicate notices."""
    now_ms = int(clock() * 1000)
    loaded = [(source, load_source(source, now_ms, max_bytes=max_bytes)) for source in sources]
    # The stages (and Beam, which their packages import) load only once every source was read: bad input fails fast.
    from pipeline.avro.codec import decode_news_item, duplicate_to_avro, encode, jsonable, news_item_to_avro
    from pipeline.transforms.cluster.index import ClusterIndex
    from pipeline.transforms.dedup.local import LocalDeduplicator
    from pipeline.transforms.enrich import Enricher
    from pipeline.transforms.normalize import normalize_entry

    dedup = LocalDeduplicator(clock=clock)
    ingest = IngestMeta(ingested_at_ms=now_ms, pipeline_version=__version__)
    emitted = []
    for source, raws in loaded:
        dispatches = [
            normalize_entry(r, now_ms=now_ms, pipeline_version=__version__, ingest=ingest) for r in raws
        ]
        # an entry with neither headline nor body says nothing; a source with nothing else is refused
        dispatches = [d for d in dispatches if d.body.strip() or d.headline.strip()]
        if not dispatches:
            raise UserError(f"{source}: no text left after normalizing: nothing to inspect", exit_code=2)
        for dispatch in dispatches:
            out = dedup.offer(dispatch)
            if isinstance(out, DuplicateNotice):
                if show_duplicates:
                    emitted.append(("dup", out))
            else:
                emitted.append(("item", out))
    items = [d for kind, d in emitted if kind == "item"]
    enricher = enricher or Enricher.load(ner=ner)
    enrichments = iter(enricher.enrich_batch(items))
    clusters = ClusterIndex(clock=clock)
    for kind, value in emitted:
        if kind == "item":
            clustered, merges = clusters.offer(EnrichedDispatch(value, next(enrichments)))
            record = news_item_to_avro(clustered)
            # round-trip through the schema: what inspect prints is exactly what the topic would carry
            yield decode_news_item(encode("news_item", record))
            if show_duplicates:
                yield from ({"suppressed": False, **jsonable(duplicate_to_avro(n))} for n in merges)
        else:
            yield {"suppressed": True, **jsonable(duplicate_to_avro(value))}


def to_json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False)
