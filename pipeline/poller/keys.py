"""Entry identity and change detection: one place computes both, with an explicit fallback chain.

In: the identifying fields of one parsed entry.  Out: ``entry_key`` (who the entry is), ``content_hash`` (what it
says), and the Kafka record key that scopes an entry key to its feed.
"""

from __future__ import annotations

import hashlib

_SEP = "\x1f"  # unit separator: cannot occur in text a feed would use as a field boundary


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def entry_key(guid: str | None, link: str | None, title: str | None, content: str | None) -> str:
    """The deliberate identity of an entry, like miniflux: GUID, else link, else title + content.

    The prefix says which rule applied, so a key is never ambiguous across rules and a reader of the raw topic
    can tell a weak (content-derived) identity from a strong one.
    """
    if guid and guid.strip():
        return "g:" + _sha(guid.strip())[:40]
    if link and link.strip():
        return "l:" + _sha(link.strip())[:40]
    return "h:" + _sha((title or "") + _SEP + (content or ""))[:40]


def content_hash(title: str | None, summary: str | None, content: str | None) -> str:
    """What the entry says as fetched; a different hash under the same key is an update."""
    return _sha(_SEP.join((title or "", summary or "", content or "")))[:40]


def feed_hash(feed_url: str) -> str:
    """A short, stable name for a feed URL (Kafka key prefix, log field)."""
    return _sha(feed_url)[:16]


def record_key(feed_url: str, key: str) -> bytes:
    """The raw topic's record key: ``<feed hash>/<entry key>`` in UTF-8.

    Scoping by feed keeps two feeds that reuse the same GUID apart, and all versions of one entry share a key,
    so they land in one partition in order and a compacted topic keeps the latest.
    """
    return f"{feed_hash(feed_url)}/{key}".encode()
