"""JSON Feed 1.0/1.1 (jsonfeed.org) -> the same plain dicts feedparser produces, so parse.py maps one shape.

In: the response body bytes.  Out: ``(feed, entries)`` as feedparser-like dicts, or ``None`` when the body is not
a JSON Feed.  feedparser 6.0 does not read JSON Feed; this fills that gap and nothing more.
"""

from __future__ import annotations

import json
from typing import Any


def looks_like_json(body: bytes, content_type: str) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" in content_type.lower() or head.startswith(b"{")


def _authors(obj: dict[str, Any]) -> list[dict[str, str]]:
    raw = obj.get("authors") or ([obj["author"]] if isinstance(obj.get("author"), dict) else [])
    return [{"name": str(a["name"])} for a in raw if isinstance(a, dict) and a.get("name")]


def _item(item: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    if item.get("id") is not None:
        entry["id"] = str(item["id"])
    for src, dst in (
        ("url", "link"),
        ("title", "title"),
        ("summary", "summary"),
        ("date_published", "published"),
        ("date_modified", "updated"),
    ):
        if isinstance(item.get(src), str):
            entry[dst] = item[src]
    content = []
    if isinstance(item.get("content_html"), str):
        content.append({"type": "text/html", "value": item["content_html"]})
    if isinstance(item.get("content_text"), str):
        content.append({"type": "text/plain", "value": item["content_text"]})
    if content:
        entry["content"] = content
    entry["authors"] = _authors(item)
    entry["tags"] = [{"term": str(t)} for t in item.get("tags") or [] if isinstance(t, (str, int))]
    return entry


def parse_json_feed(body: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Decode a JSON Feed; ``None`` if it is not JSON or not a JSON Feed (no ``items`` list)."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return None
    version = str(doc.get("version") or "")
    feed = {
        "title": doc.get("title") if isinstance(doc.get("title"), str) else None,
        "link": doc.get("home_page_url") if isinstance(doc.get("home_page_url"), str) else None,
        "language": doc.get("language") if isinstance(doc.get("language"), str) else None,
        "version": "json11" if version.endswith("/1.1") else "json1",
        "authors": _authors(doc),
    }
    return feed, [_item(i) for i in doc["items"] if isinstance(i, dict)]
