"""normalize_entry: fixture entries in six languages, the seed dispatch as RSS HTML and as plain text, determinism."""

from __future__ import annotations

import hashlib
import html
import uuid
from datetime import UTC, datetime

import pytest

from pipeline.model import Author, Dateline, IngestMeta, RawEntry, Timestamp
from pipeline.transforms.normalize import normalize_entry
from pipeline.transforms.normalize.core import DISPATCH_NAMESPACE
from tests.unit.normalize.tables import NOW_MS, SEED, entries


def _ts(cell):
    if cell is None:
        return None
    return int(datetime.fromisoformat(cell[0]).replace(tzinfo=UTC).timestamp() * 1000), cell[1]


@pytest.mark.parametrize(("name", "raw", "expect"), entries(), ids=[e[0] for e in entries()])
def test_fixture_entries(name, raw, expect):
    d = normalize_entry(
        RawEntry(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}), now_ms=NOW_MS
    )
    simple = ("uri", "headline", "revision_hint", "is_update", "agency", "body", "outlet", "language_hint")
    for key in simple:
        if key in expect:
            assert getattr(d, key) == expect[key], key
    if "authors" in expect:
        assert d.authors == tuple(Author(n, r) for n, r in expect["authors"])
    if "dateline" in expect:
        assert d.dateline == (Dateline(*expect["dateline"]) if expect["dateline"] else None)
    if "categories" in expect:
        assert d.categories == tuple(expect["categories"])
    if "body_starts" in expect:
        assert d.body.startswith(expect["body_starts"])
    if "body_ends" in expect:
        assert d.body.endswith(expect["body_ends"])
    for key in ("published", "updated"):
        if key in expect:
            got = getattr(d, key)
            assert (got and (got.millis, got.precision)) == (_ts(expect[key]) or None), key
    if "published_clamped" in expect:
        assert d.published.clamped is expect["published_clamped"]
    assert d.entry_key == raw["entry_key"] and d.feed_url == raw["feed_url"] and d.guid == raw.get("guid")


def _seed_paragraphs() -> list[str]:
    return [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def _seed_rss_item(**extra) -> RawEntry:
    """The seed as it arrives in an RSS item: its paragraphs as HTML <p> elements."""
    content = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in _seed_paragraphs())
    fields = dict(
        feed_url="https://www.example.com/fr/rss/world.xml",
        entry_key="seed-rss",
        content_hash="x",
        guid="https://www.example.com/fr/article/poutine-bielorussie-idFRKBN2SZ0A1",
        link="https://www.example.com/fr/article/poutine-bielorussie-idFRKBN2SZ0A1?utm_source=rss&utm_medium=rss",
        title="Poutine en Biélorussie, Kyiv craint une nouvelle offensive",
        content=content,
        content_type="text/html",
        feed_title="Example Monde",
        feed_language="fr",
    )
    fields.update(extra)
    return RawEntry(**fields)


def _seed_text_file() -> RawEntry:
    """The seed as ``inspect`` reads a .txt file: content = file text, text/plain, no title."""
    text = SEED.read_text(encoding="utf-8")
    return RawEntry(
        feed_url=SEED.resolve().as_uri(),
        entry_key="doc:seed",
        content_hash="y",
        content=text,
        content_type="text/plain",
    )


SEED_AUTHORS = (Author("Valentyn Origienko"), Author("Tom Balmforth"))
DECEMBER_2022 = Timestamp(millis=int(datetime(2022, 12, 1, tzinfo=UTC).timestamp() * 1000), precision="month")


@pytest.mark.parametrize("raw", [_seed_rss_item(), _seed_text_file()], ids=["rss-html", "plain-text"])
def test_seed_dispatch(raw):
    d = normalize_entry(raw, now_ms=NOW_MS)
    assert d.authors == SEED_AUTHORS
    assert d.dateline == Dateline(city="KYIV", city_normalized="Kyiv", date_text=None, agency="Reuters")
    assert d.agency == "Reuters"
    assert d.body.startswith("Le président russe Vladimir Poutine se rend en Biélorussie lundi")
    assert d.body.endswith("en mer de Chine orientale.")
    assert d.body.count("\n\n") == len(_seed_paragraphs()) - 2  # header and dateline lines are not body
    assert "date 2022-12" not in d.body and "Balmforth" not in d.body and "(Reuters)" not in d.body
    assert d.published == DECEMBER_2022
    assert d.updated is None


def test_seed_html_and_text_agree():
    a = normalize_entry(_seed_rss_item(feed_language=None), now_ms=NOW_MS)
    b = normalize_entry(_seed_text_file(), now_ms=NOW_MS)
    assert (a.authors, a.dateline, a.body, a.agency, a.published) == (
        b.authors,
        b.dateline,
        b.body,
        b.agency,
        b.published,
    )


def test_seed_rss_fields():
    d = normalize_entry(_seed_rss_item(), now_ms=NOW_MS)
    assert d.uri == "https://www.example.com/fr/article/poutine-bielorussie-idFRKBN2SZ0A1"
    assert d.headline == "Poutine en Biélorussie, Kyiv craint une nouvelle offensive"
    assert d.outlet == "Example Monde"
    assert d.language_hint == "fr"
    assert d.body_html.startswith(
        "<p>date 2022-12 par Valentyn Origienko et Tom Balmforth</p><p>KYIV (Reuters)"
    )
    assert d.content_hash == hashlib.sha256(f"{d.headline}\n\n{d.body}".encode()).hexdigest()
    assert d.id == str(uuid.uuid5(DISPATCH_NAMESPACE, d.content_hash))
    assert (d.story_id, d.version, d.supersedes) == ("", 1, None)


def test_plain_text_headline_is_the_first_sentence_of_the_body():
    d = normalize_entry(_seed_text_file(), now_ms=NOW_MS)
    assert d.headline.startswith("Le président russe Vladimir Poutine")
    assert d.headline.endswith("nouvelle offensive.")
    # a first-sentence title made from the raw file (header included) is replaced the same way
    raw = _seed_text_file()
    titled = RawEntry(**{**raw.__dict__, "title": " ".join(raw.content.split()[:20])})
    assert normalize_entry(titled, now_ms=NOW_MS).headline == d.headline


def test_feed_date_wins_over_header_date():
    d = normalize_entry(_seed_rss_item(published_raw="Mon, 19 Dec 2022 09:41:00 +0200"), now_ms=NOW_MS)
    assert d.published == Timestamp(millis=int(datetime(2022, 12, 19, 7, 41, tzinfo=UTC).timestamp() * 1000))


def test_feed_authors_merge_without_duplicates():
    d = normalize_entry(_seed_rss_item(authors=("Tom Balmforth", "Jane Doe", "Reuters")), now_ms=NOW_MS)
    assert d.authors == (*SEED_AUTHORS, Author("Jane Doe"))


def test_deterministic_and_ingest_metadata():
    raw = _seed_rss_item(fetched_at_ms=123)
    a = normalize_entry(raw, now_ms=NOW_MS, pipeline_version="9.9")
    assert a == normalize_entry(raw, now_ms=NOW_MS, pipeline_version="9.9")
    assert a.ingest == IngestMeta(fetched_at_ms=123, ingested_at_ms=NOW_MS, pipeline_version="9.9")
    given = IngestMeta(raw_topic="raw", raw_partition=1, raw_offset=7)
    assert normalize_entry(raw, now_ms=NOW_MS, ingest=given).ingest == given


def test_revision_markers_and_updates():
    upd = normalize_entry(_seed_rss_item(title="MISE A JOUR 1-Poutine en Biélorussie"), now_ms=NOW_MS)
    assert (upd.headline, upd.revision_hint, upd.is_update) == (
        "Poutine en Biélorussie",
        "MISE A JOUR 1",
        True,
    )
    exc = normalize_entry(_seed_rss_item(title="EXCLUSIF-Poutine en Biélorussie"), now_ms=NOW_MS)
    assert (exc.revision_hint, exc.is_update) == ("EXCLUSIF", False)
    assert normalize_entry(_seed_rss_item(is_update=True), now_ms=NOW_MS).is_update is True


def test_same_text_same_hash_across_feeds():
    a = normalize_entry(_seed_rss_item(), now_ms=NOW_MS)
    b = normalize_entry(
        _seed_rss_item(
            feed_url="https://other.example/rss", link="https://other.example/x", feed_title="Other"
        ),
        now_ms=NOW_MS + 5,
    )
    assert a.content_hash == b.content_hash and a.id == b.id


def test_empty_entry():
    d = normalize_entry(
        RawEntry(feed_url="https://example.com/feed", entry_key="k", content_hash="h"), now_ms=NOW_MS
    )
    assert (d.headline, d.body, d.body_html, d.uri, d.dateline, d.authors) == ("", "", None, None, None, ())
    assert d.outlet == "example.com"


def test_guid_permalink_used_when_link_missing():
    raw = RawEntry(
        feed_url="https://example.com/feed",
        entry_key="k",
        content_hash="h",
        guid="https://example.com/a?utm_source=x",
    )
    assert normalize_entry(raw, now_ms=NOW_MS).uri == "https://example.com/a"
