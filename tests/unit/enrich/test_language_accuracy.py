"""Language ID accuracy over the real feeds in the shared corpora, their declared language as the reference.

Items are title + text of each entry with a declared feed language and >= 200 characters (feedparser's own
conformance feeds are synthetic and excluded).  Goal from the issue: >= 99 %.
"""

from __future__ import annotations

import html
import re

import feedparser
from selectolax.lexbor import LexborHTMLParser

from pipeline.transforms.enrich import Enricher

from .conftest import CORPORA

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


def test_language_id_accuracy_on_corpus_feeds(enricher: Enricher) -> None:
    items = labelled_items()
    assert len(items) >= 200
    wrong = [
        (f, ref, enricher.langid.detect(t).code, t[:60])
        for f, ref, t in items
        if enricher.langid.detect(t).code != ref
    ]
    accuracy = 1 - len(wrong) / len(items)
    print(f"\nlanguage ID: {len(items) - len(wrong)}/{len(items)} = {accuracy:.4f}; wrong: {wrong}")
    assert accuracy >= 0.99, wrong
