"""The seed dispatch end to end through Enricher: language, entities, places, countries, topics."""

from __future__ import annotations

import json

from pipeline.model import RawEntry
from pipeline.transforms.enrich import Enricher
from pipeline.transforms.normalize import normalize_entry

from .conftest import FIXTURES, REPO_ROOT, seed_dispatch


def test_seed_body_is_what_normalize_hands_over(seed_expected: dict) -> None:
    """The hand-built seed dispatch equals what ``normalize_entry`` makes of the raw sample (a plain-text entry)."""
    spec = json.loads((FIXTURES / "seed_expected.json").read_text(encoding="utf-8"))
    raw = RawEntry(
        feed_url="https://example.invalid/seed",
        entry_key="seed",
        content_hash="seed",
        content=(REPO_ROOT / spec["source"]).read_text(encoding="utf-8"),
        content_type="text/plain",
        feed_language="fr",
    )
    normalized = normalize_entry(raw, now_ms=1_670_000_000_000)
    d = seed_dispatch()
    assert normalized.body == d.body
    assert (normalized.dateline, normalized.authors, normalized.agency) == (d.dateline, d.authors, d.agency)
    assert normalized.language_hint == d.language_hint
    assert normalized.body.startswith(spec["dispatch"]["body_starts_with"])
    assert "Reuters" not in normalized.body and "Origienko" not in normalized.body


def test_seed_enrichment(enricher: Enricher, seed_expected: dict) -> None:
    result = enricher.enrich_one(seed_dispatch())
    assert result.language == seed_expected["language"]
    assert result.language_confidence >= seed_expected["min_language_confidence"]
    found = {(e.text, e.type) for e in result.entities}
    expected = {(name, etype) for etype, names in seed_expected["entities"].items() for name in names}
    assert found == expected, f"missing {expected - found}, junk {found - expected}"
    by_name = {e.text: e for e in result.entities}
    for name, count in seed_expected["mention_counts"].items():
        assert by_name[name].count == count, name
    for name in seed_expected["not_entities"]:
        assert name not in by_name
    assert set(result.countries) == set(seed_expected["countries"])
    assert {p.name: p.country for p in result.places} == seed_expected["places"]
    kyiv = next(p for p in result.places if p.name == "Kyiv")
    assert kyiv.kind == "city" and abs(kyiv.latitude - 50.45) < 0.1 and abs(kyiv.longitude - 30.52) < 0.1
    assert {t.code for t in result.topics} >= set(seed_expected["topics_include"])
    assert result.keywords and "Biélorussie" in result.keywords
    assert result.errors == ()


def test_offsets_index_headline_blank_line_body(enricher: Enricher) -> None:
    d = seed_dispatch()
    text = f"{d.headline}\n\n{d.body}"
    for e in enricher.enrich_one(d).entities:
        if e.first_offset >= 0:
            assert text[e.first_offset : e.first_offset + len(e.text)] == e.text
    assert min(e.salience for e in enricher.enrich_one(d).entities) >= 0.0
