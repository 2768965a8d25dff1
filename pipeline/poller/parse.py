"""Response body + headers -> ``ParsedFeed`` (feed metadata, schedule hints, ``RawEntry`` list).  Pure.

In: the raw bytes exactly as fetched and the response headers (so feedparser's encoding detection sees the
Content-Type charset), the feed URL and the fetch time.  Out: ``ParsedFeed``; a body that is not a usable feed
comes back with ``error``/``error_kind`` set and no entries.  Also used by ``inspect`` on local files.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import feedparser

from pipeline.model import RawEntry
from pipeline.poller import keys
from pipeline.poller.jsonfeed import looks_like_json, parse_json_feed

_PERIOD_S = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_MAX_ENTITY_DECLS = 64
_ENTITY_RE = re.compile(r"<!ENTITY\s+(%\s*)?([\w.:-]+)\s+(SYSTEM|PUBLIC|\"[^\"]*\"|'[^']*')", re.I)
_ENTITY_REF_RE = re.compile(r"&[A-Za-z_][\w.:-]*;|%[\w.:-]+;")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class ParsedFeed:
    """One parsed document.  ``error`` set means: not a feed we can use (the poller sends a dead letter)."""

    feed_url: str
    entries: list[RawEntry] = field(default_factory=list)
    title: str | None = None
    link: str | None = None
    language: str | None = None
    version: str = ""  # feedparser's: rss20, atom10, rss10, json1, ... ("" = not recognised)
    ttl_s: float | None = None  # RSS <ttl>
    update_period_s: float | None = None  # sy:updatePeriod / sy:updateFrequency
    max_age_s: float | None = None  # Cache-Control: max-age
    bozo: bool = False  # feedparser had to recover from an error (entries are still usable)
    bozo_reason: str | None = None
    error: str | None = None
    error_kind: str | None = None  # empty_body | entity_refused | not_a_feed | malformed
    # WebSub: the feed's <link rel="hub"> / <atom:link rel="hub">, in document order
    hubs: tuple[str, ...] = ()
    self_url: str | None = None  # WebSub: <link rel="self">, the topic URL a hub knows the feed by


def entity_danger(body: bytes) -> str | None:
    """Why the document's DTD is refused (external, parameter or nested entities), or ``None`` if harmless.

    feedparser already drops unsafe declarations and expat has billion-laughs protection; refusing here makes the
    reason explicit (a dead letter says so) and keeps the document from reaching any XML parser at all.
    """
    head = _prolog_text(body)
    if "<!ENTITY" not in head.upper():
        return None
    decls = _ENTITY_RE.findall(head)
    if len(decls) > _MAX_ENTITY_DECLS:
        return f"{len(decls)} entity declarations (limit {_MAX_ENTITY_DECLS})"
    for percent, name, value in decls:
        if percent:
            return f"parameter entity %{name} declared"
        if value.upper() in ("SYSTEM", "PUBLIC"):
            return f"external entity {name} declared"
        if _ENTITY_REF_RE.search(value):
            return f"entity {name} refers to other entities (expansion bomb)"
    return None


_WIDE = (  # (prefix, codec) for BOMs and BOM-less UTF-16/32 starting with "<"
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def _prolog_text(body: bytes) -> str:
    """The part of the document before the root element, decoded well enough to look for declarations."""
    sample = body[:65536]
    codec = next((c for prefix, c in _WIDE if sample.startswith(prefix)), "latin-1")
    text = sample.decode(codec, "ignore")
    root = re.search(r"<[A-Za-z_]", text)
    return text[: root.start()] if root else text


def _lower_headers(headers: Mapping[str, str], feed_url: str) -> dict[str, str]:
    out = {k.lower(): v for k, v in headers.items()}
    if not out:  # a local file (inspect): let the XML declaration decide, as feedparser does without headers
        out["content-type"] = "application/xml"
    # Relative links resolve against the feed URL; a Content-Location header, resolved the same way, wins.
    loc = out.get("content-location", "").strip()
    resolved = urllib.parse.urljoin(feed_url, loc) if loc else feed_url
    out["content-location"] = (
        resolved if urllib.parse.urlsplit(resolved).scheme in ("http", "https") else feed_url
    )
    return out


def _seconds(value: Any, unit: float = 1.0) -> float | None:
    try:
        s = float(str(value).strip()) * unit
    except (TypeError, ValueError):
        return None
    return s if s > 0 else None


def max_age(headers: Mapping[str, str]) -> float | None:
    cc = next((v for k, v in headers.items() if k.lower() == "cache-control"), "")
    m = re.search(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d+)", cc)
    return _seconds(m.group(1)) if m else None


def _update_period(feed: Mapping[str, Any]) -> float | None:
    period = _PERIOD_S.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if not period:
        return None
    freq = _seconds(feed.get("sy_updatefrequency")) or 1.0
    return period / freq


def _content(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The richest content: content:encoded / atom content (HTML first, then longest), else the summary."""
    items = [c for c in entry.get("content") or [] if isinstance(c, Mapping) and c.get("value")]
    if items:
        best = max(items, key=lambda c: (c.get("type") in _HTML_TYPES, len(c["value"])))
        return best["value"], best.get("type") or "text/html"
    summary = entry.get("summary")
    if summary:
        detail = entry.get("summary_detail") or {}
        return summary, detail.get("type") or "text/html"
    return None, None


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for a in entry.get("authors") or []:
        name = (a.get("name") or a.get("email") or "").strip() if isinstance(a, Mapping) else ""
        if name and name not in names:
            names.append(name)
    author = (entry.get("author") or "").strip()
    if not names and author:
        names.append(author)
    return tuple(names)


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for tag in entry.get("tags") or []:
        term = (tag.get("term") or tag.get("label") or "").strip() if isinstance(tag, Mapping) else ""
        if term and term not in out:
            out.append(term)
    return tuple(out)


def _links(feed: Mapping[str, Any], rel: str) -> list[str]:
    """The feed-level links with this ``rel`` (feedparser resolves them against Content-Location)."""
    out: list[str] = []
    for link in feed.get("links") or []:
        href = link.get("href") if isinstance(link, Mapping) and link.get("rel") == rel else None
        if isinstance(href, str) and href.strip() and href.strip() not in out:
            out.append(href.strip())
    return out


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def to_raw_entry(
    entry: Mapping[str, Any],
    feed: Mapping[str, Any],
    feed_url: str,
    fetched_at_ms: int,
    headers: Mapping[str, str],
    http_status: int | None,
) -> RawEntry:
    """One feedparser entry dict -> ``RawEntry`` with its deliberate key and content hash."""
    title, link, guid = _text(entry.get("title")), _text(entry.get("link")), _text(entry.get("id"))
    summary = entry.get("summary") if isinstance(entry.get("summary"), str) else None
    content, content_type = _content(entry)
    return RawEntry(
        feed_url=feed_url,
        entry_key=keys.entry_key(guid, link, title, content),
        content_hash=keys.content_hash(title, summary, content),
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        content=content,
        content_type=content_type,
        authors=_authors(entry),
        categories=_categories(entry),
        published_raw=_text(entry.get("published")),
        updated_raw=_text(entry.get("updated")),
        feed_title=_text(feed.get("title")),
        feed_language=_text(feed.get("language")) or _text(headers.get("content-language")),
        fetched_at_ms=fetched_at_ms,
        http_status=http_status,
        http_etag=headers.get("etag") or None,
        http_last_modified=headers.get("last-modified") or None,
        http_content_type=headers.get("content-type") or None,
    )


def parse_feed(
    body: bytes,
    headers: Mapping[str, str],
    feed_url: str,
    fetched_at_ms: int,
    *,
    http_status: int | None = None,
) -> ParsedFeed:
    """Parse one fetched document.  Never raises for bad input: problems come back in ``error``/``bozo``."""
    hdrs = _lower_headers(headers, feed_url)
    hints = {"max_age_s": max_age(hdrs)}
    if not body.strip():
        return ParsedFeed(feed_url, error="empty body", error_kind="empty_body", **hints)
    if looks_like_json(body, hdrs.get("content-type", "")):
        parsed = parse_json_feed(body)
        if parsed is not None:
            feed, items = parsed
            entries = [to_raw_entry(e, feed, feed_url, fetched_at_ms, hdrs, http_status) for e in items]
            return ParsedFeed(
                feed_url,
                entries,
                feed.get("title"),
                feed.get("link"),
                feed.get("language"),
                feed["version"],
                **hints,
            )
    danger = entity_danger(body)
    if danger:
        return ParsedFeed(feed_url, error=f"XML refused: {danger}", error_kind="entity_refused", **hints)
    # A stream, never raw bytes: feedparser treats a bytes/str argument as a URL or a file path to open.
    result = feedparser.parse(io.BytesIO(body), response_headers=hdrs, sanitize_html=False)
    feed = result.get("feed") or {}
    bozo_exc = result.get("bozo_exception")
    bozo_reason = f"{type(bozo_exc).__name__}: {bozo_exc}"[:500] if result.get("bozo") and bozo_exc else None
    version = result.get("version") or ""
    entries = [
        to_raw_entry(e, feed, feed_url, fetched_at_ms, hdrs, http_status) for e in result.get("entries", [])
    ]
    common = dict(
        title=_text(feed.get("title")),
        link=_text(feed.get("link")),
        language=_text(feed.get("language")) or _text(hdrs.get("content-language")),
        version=version,
        ttl_s=_seconds(feed.get("ttl"), 60.0),
        update_period_s=_update_period(feed),
        bozo=bool(result.get("bozo")),
        bozo_reason=bozo_reason,
        hubs=tuple(_links(feed, "hub")),
        self_url=next(iter(_links(feed, "self")), None),
        **hints,
    )
    # Nothing usable: no feed root at all (an HTML page, plain text), or a broken document nothing was recovered from.
    benign = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if not entries and version and bozo_exc is not None and not isinstance(bozo_exc, benign):
        reason = bozo_reason or "unreadable document"
        return ParsedFeed(feed_url, error=f"malformed feed: {reason}", error_kind="malformed", **common)
    if not entries and not version:
        reason = bozo_reason or "no feed elements found"
        return ParsedFeed(feed_url, error=f"not a feed: {reason}", error_kind="not_a_feed", **common)
    return ParsedFeed(feed_url, entries, **common)
