"""Labelled language-ID items from the real feeds in the shared corpora (used by the accuracy test and the bench).

Items are title + text of each entry with a declared feed language and >= 200 characters (feedparser's own
conformance feeds are synthetic and excluded); the declared language is the reference.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import feedparser
from selectolax.lexbor import LexborHTMLParser

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"

FEED_DIRS = ("miniflux", "prof18-rssparser", "rss-parser", "simple-feed-parser")
MIN_CHARS = 200


def _text(fragment: str) -> str:
    if "<" in fragment:
        fragment = LexborHTMLParser(fragment).text(separator=" ")
    return re.sub(r"\s+", " ", html.unescape(fragment)).strip()


def labelled_items() -> list[tuple[str, str, str]]:
    items = []
    for folder in FEED_DIRS:
        for path in sorted((CORPORA / "feeds" / folder).rglob("*")):
            if path.suffix not in (".xml", ".rss", ".atom") or not path.is_file():
                continue
            parsed = feedparser.parse(path.read_bytes())
            declared = (parsed.feed.get("language") or "").strip().split("-")[0].lower()
            if not declared:
                continue
            for entry in parsed.entries:
                content = entry.get("content")
                body = content[0].value if content else entry.get("summary", "")
                text = f"{_text(entry.get('title', ''))}\n\n{_text(body)}"
                if len(text) >= MIN_CHARS:
                    items.append((str(path.relative_to(CORPORA)), declared, text))
    return items
