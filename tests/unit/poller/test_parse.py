from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.devserver import file_headers
from pipeline.poller.parse import entity_danger, parse_feed

URL = "http://127.0.0.1:8097/feed.xml"


def test_wire_feed_fields(fixtures: Path):
    pf = parse_feed(
        (fixtures / "wire_v1.xml").read_bytes(),
        {"Content-Type": "application/rss+xml"},
        URL,
        42,
        http_status=200,
    )
    assert not pf.error and pf.version == "rss20" and pf.title == "Wire Test" and pf.language == "fr"
    assert pf.ttl_s == 30 * 60
    first = pf.entries[0]
    assert first.title.startswith("KYIV, 24 novembre")
    assert (
        first.content == "<p>Texte complet de la <b>première</b> dépêche.</p>"
        and first.content_type == "text/html"
    )
    assert first.summary == "Résumé un"
    assert first.authors == ("Jean Dupont",)
    assert first.published_raw == "Thu, 24 Nov 2022 10:00:00 +0000"
    assert first.guid == "wire-a1" and first.entry_key.startswith("g:")
    assert first.feed_title == "Wire Test" and first.feed_language == "fr"
    assert first.fetched_at_ms == 42 and first.http_status == 200
    assert first.http_content_type == "application/rss+xml"
    assert pf.entries[2].guid is None and pf.entries[2].entry_key.startswith("l:")
    assert pf.entries[1].content == "Summary two"  # no content:encoded: the summary is the content


def test_json_feed(fixtures: Path):
    pf = parse_feed((fixtures / "feed.json").read_bytes(), {"Content-Type": "application/feed+json"}, URL, 0)
    assert pf.version == "json11" and pf.title == "JSON Wire" and len(pf.entries) == 2
    a, b = pf.entries
    assert a.content == "<p>Hello <b>JSON</b></p>" and a.content_type == "text/html" and a.authors == ("Ada",)
    assert a.published_raw == "2024-01-02T03:04:05Z" and a.categories == ("world",)
    assert b.content == "Plain text body" and b.content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("billion_laughs.xml", "entity_refused"),
        ("external_entity.xml", "entity_refused"),
        ("html_page.html", "not_a_feed"),
        ("empty.xml", "empty_body"),
    ],
)
def test_bad_documents_are_errors(fixtures: Path, name: str, kind: str):
    ctype = "text/html" if name.endswith(".html") else "application/xml"
    pf = parse_feed((fixtures / name).read_bytes(), {"Content-Type": ctype}, URL, 0)
    assert pf.error_kind == kind and pf.error and not pf.entries


def test_malformed_feed_with_nothing_recovered_is_an_error(fixtures: Path):
    pf = parse_feed((fixtures / "malformed.xml").read_bytes(), {"Content-Type": "application/xml"}, URL, 0)
    assert pf.bozo and pf.bozo_reason and pf.entries == []
    assert pf.error_kind == "malformed" and "mismatched tag" in (pf.error or "")


def test_html_page_instead_of_a_feed_is_an_error() -> None:
    body = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body><p>Back soon</p></body></html>"
    pf = parse_feed(body, {"Content-Type": "text/html"}, URL, 0)
    assert pf.error_kind == "not_a_feed" and pf.entries == []


def test_entity_danger_in_utf16(fixtures: Path):
    body = (
        (fixtures / "billion_laughs.xml")
        .read_text()
        .replace('version="1.0"?>', 'version="1.0" encoding="utf-16"?>')
    )
    assert entity_danger(body.encode("utf-16"))
    assert entity_danger(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "plain">]><rss/>') is None


def test_cache_control_and_syndication_hints():
    body = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        b'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>'
        b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel>"
        b"<item><title>a</title><link>http://x/1</link></item></rdf:RDF>"
    )
    pf = parse_feed(
        body, {"Content-Type": "application/rdf+xml", "Cache-Control": "public, max-age=600"}, URL, 0
    )
    assert pf.update_period_s == 1800 and pf.max_age_s == 600 and len(pf.entries) == 1


def test_bytes_that_look_like_a_path_are_not_opened():
    pf = parse_feed(b"/etc/passwd", {"Content-Type": "application/xml"}, URL, 0)
    assert not pf.entries and "root:" not in (pf.error or "")


def _corpus_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rss", ".atom", ".rdf", ".json", ".html")
    )


def test_every_corpus_file_parses_without_exception(corpora: Path):
    files = _corpus_files(corpora)
    assert len(files) > 2000
    outcomes = {"entries": 0, "errors": 0, "empty": 0}
    for path in files:
        body = path.read_bytes()
        pf = parse_feed(body, {"Content-Type": "application/xml", **file_headers(body)}, URL, 0)
        if pf.error:
            assert (
                pf.error_kind in ("empty_body", "entity_refused", "not_a_feed", "malformed")
                and not pf.entries
            )
            outcomes["errors"] += 1
        elif pf.entries:
            outcomes["entries"] += 1
        else:
            outcomes["empty"] += 1
    assert outcomes["entries"] > 1200  # many feedparser cases test feed-level elements only (1,269 seen)


def _gold(corpora: Path) -> list[dict[str, str]]:
    with open(corpora / "miniflux" / "parser_encoding_expectations.tsv", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_miniflux_encoding_gold_rows_from_bytes(corpora: Path):
    rows = _gold(corpora)
    assert len(rows) == 6
    for row in rows:
        body = (
            corpora / "miniflux" / "internal" / "reader" / "parser" / "testdata" / row["filename"]
        ).read_bytes()
        pf = parse_feed(body, {"Content-Type": row["content_type_header"]}, URL, 0)
        assert pf.entries[int(row["entry_index"])].title == row["expected_title"], row


_EXPECT = re.compile(r"Expect:\s+(.*)")


def test_feedparser_http_encoding_cases_match_their_expectations(corpora: Path):
    """The ``http_*`` encoding cases: our header passing gives feedparser what its own HTTP client would."""
    import feedparser

    from pipeline.poller.parse import _lower_headers

    checked = 0
    for path in sorted((corpora / "feedparser" / "tests" / "encoding").glob("http_*.xml")):
        body = path.read_bytes()
        expect = _EXPECT.search(body[:2048].decode("latin-1"))
        if not expect or "bozo" in expect.group(1) and "not bozo" not in expect.group(1):
            continue
        result = feedparser.parse(
            __import__("io").BytesIO(body), response_headers=_lower_headers(file_headers(body), URL)
        )
        env = {**result, "feed": result.feed, "entries": result.entries}
        assert eval(expect.group(1), {}, env), (path.name, expect.group(1))
        checked += 1
    assert checked >= 20


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048), st.sampled_from(["application/xml", "text/html", "application/json", ""]))
def test_parse_never_raises_on_arbitrary_bytes(body: bytes, ctype: str):
    pf = parse_feed(body, {"Content-Type": ctype} if ctype else {}, URL, 0)
    assert pf.error is None or not pf.entries


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_parse_never_raises_on_rss_with_arbitrary_text(title: str, desc: str):
    from xml.sax.saxutils import escape

    body = (
        f'<rss version="2.0"><channel><title>x</title><item><title>{escape(title)}</title>'
        f"<description>{escape(desc)}</description></item></channel></rss>"
    ).encode("utf-8", "surrogatepass")
    pf = parse_feed(body, {"Content-Type": "application/rss+xml"}, URL, 0)
    assert pf.error is None or pf.bozo
