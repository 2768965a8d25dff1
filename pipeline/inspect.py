"""``news-pipeline inspect``: local files or URLs -> normalize -> dedup -> enrich -> JSON lines, without Kafka.

In: paths or URLs in the order given: a plain-text dispatch (like the seed), an HTML page, or an RSS/Atom/JSON
feed.  Out: one JSON object per emitted item, with the ``news_item`` Avro schema's field names (the record is
validated against the schema); with ``show_duplicates`` also the suppressed items with ``duplicate_of``.
The same pure functions as the Beam stages run here, in input order.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.avro.codec import decode_news_item, duplicate_to_avro, encode, jsonable, news_item_to_avro
from pipeline.model import DuplicateNotice, EnrichedDispatch, IngestMeta, RawEntry
from pipeline.poller.parse import parse_feed
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.enrich import Enricher
from pipeline.transforms.normalize import normalize_entry

Clock = Callable[[], float]
_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF|channel)\b", re.I)
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|body|p|div)\b", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_source(
    source: str, now_ms: int, fetch: Callable[[str], tuple[bytes, dict[str, str]]] | None = None
) -> list[RawEntry]:
    """Turn one path or URL into raw entries, sniffing what it is."""
    if re.match(r"https?://", source):
        body, headers = (fetch or _http_get)(source)
        origin = source
    else:
        path = Path(source)
        body, headers, origin = path.read_bytes(), {}, path.resolve().as_uri()
    head = body[:2048].lstrip()
    is_json_feed = head.startswith(b"{") and b"jsonfeed" in body[:4096]
    if _FEED_SNIFF.search(head) or is_json_feed:
        return parse_feed(body, headers, origin, now_ms).entries
    text = body.decode("utf-8", errors="replace")
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


def _http_get(url: str) -> tuple[bytes, dict[str, str]]:
    import httpx

    with httpx.Client(
        follow_redirects=True, timeout=20.0, headers={"User-Agent": f"news-pipeline/{__version__}"}
    ) as c:
        resp = c.get(url)
        resp.raise_for_status()
        return resp.content, dict(resp.headers)


def inspect_sources(
    sources: Iterable[str],
    *,
    enricher: Enricher | None = None,
    show_duplicates: bool = False,
    clock: Clock = time.time,
) -> Iterator[dict[str, Any]]:
    """Yield JSON-ready records: emitted news items, and (optionally) duplicate notices."""
    now_ms = int(clock() * 1000)
    enricher = enricher or Enricher.load()
    dedup = LocalDeduplicator(clock=clock)
    ingest = IngestMeta(ingested_at_ms=now_ms, pipeline_version=__version__)
    emitted = []
    for source in sources:
        for raw in load_source(source, now_ms):
            dispatch = normalize_entry(raw, now_ms=now_ms, pipeline_version=__version__, ingest=ingest)
            out = dedup.offer(dispatch)
            if isinstance(out, DuplicateNotice):
                if show_duplicates:
                    emitted.append(("dup", out))
            else:
                emitted.append(("item", out))
    items = [d for kind, d in emitted if kind == "item"]
    enrichments = iter(enricher.enrich_batch(items))
    for kind, value in emitted:
        if kind == "item":
            record = news_item_to_avro(EnrichedDispatch(value, next(enrichments)))
            # round-trip through the schema: what inspect prints is exactly what the topic would carry
            yield decode_news_item(encode("news_item", record))
        else:
            yield {"suppressed": True, **jsonable(duplicate_to_avro(value))}


def to_json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False)
