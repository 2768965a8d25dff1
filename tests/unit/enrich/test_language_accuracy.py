"""Language ID accuracy over the real feeds in the shared corpora, their declared language as the reference.

Items are title + text of each entry with a declared feed language and >= 200 characters (feedparser's own
conformance feeds are synthetic and excluded).  Goal from the issue: >= 99 %.
"""

from __future__ import annotations

from pipeline.transforms.enrich import Enricher

from .langid_corpus import labelled_items


def test_language_id_accuracy_on_corpus_feeds(enricher: Enricher) -> None:
    items = labelled_items()
    assert len(items) >= 200
    found = [enricher.langid.detect(t).code for _, _, t in items]
    wrong = [(f, ref, got, t[:60]) for (f, ref, t), got in zip(items, found, strict=True) if got != ref]
    accuracy = 1 - len(wrong) / len(items)
    print(f"\nlanguage ID: {len(items) - len(wrong)}/{len(items)} = {accuracy:.4f}; wrong: {wrong}")
    assert accuracy >= 0.99, wrong
