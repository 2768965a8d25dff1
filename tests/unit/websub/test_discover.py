"""Hub discovery: Link headers first (WebSub 4), then the document; and the poller's two sources of links."""

from __future__ import annotations

from pathlib import Path

from pipeline.poller.fetch import FetchResult, link_header
from pipeline.poller.parse import parse_feed
from pipeline.websub.discover import Links, discover

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "websub"


def _atom(hub: str, self_url: str) -> bytes:
    entry = (FIXTURES / "entry.atom").read_text().format(n=1)
    return (FIXTURES / "feed.atom").read_text().format(hub=hub, self=self_url, entries=entry).encode()


def test_atom_document_links_resolve_against_the_feed_url() -> None:
    parsed = parse_feed(_atom("/hub", "feed.atom"), {}, "http://127.0.0.1:8000/feeds/x.atom", 0)
    assert parsed.hubs == ("http://127.0.0.1:8000/hub",)
    assert parsed.self_url == "http://127.0.0.1:8000/feeds/feed.atom"
    assert len(parsed.entries) == 1


def test_rss_atom_link_hub() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>'
        b'<atom:link rel="hub" href="https://pubsubhubbub.example/"/><atom:link rel="hub" href="https://h2.example/"/>'
        b'<atom:link rel="self" href="https://news.example/rss"/><item><guid>1</guid><title>a</title></item>'
        b"</channel></rss>"
    )
    parsed = parse_feed(body, {"Content-Type": "application/rss+xml"}, "https://news.example/rss", 0)
    assert parsed.hubs == ("https://pubsubhubbub.example/", "https://h2.example/")
    assert parsed.self_url == "https://news.example/rss"


def test_a_feed_without_hub() -> None:
    parsed = parse_feed((FIXTURES / "no-hub.rss").read_bytes(), {}, "https://news.example/rss", 0)
    assert (parsed.hubs, parsed.self_url) == ((), None)
    assert discover((), parsed.hubs, parsed.self_url) == Links()


def test_link_header_parsing() -> None:
    value = (
        '<https://hub.example/>; rel="hub", </feed.xml>; rel=self; type="application/atom+xml", '
        '<http://a/b>; title="x, y"; rel="hub alternate", <http://c/>; title=nothing'
    )
    assert link_header(value, "http://x/f") == (
        ("hub", "https://hub.example/"),
        ("self", "http://x/feed.xml"),
        ("hub", "http://a/b"),
        ("alternate", "http://a/b"),
    )
    assert link_header("<a>; rel=hub, <b>; rel=self", "http://x/f") == (
        ("hub", "http://x/a"),
        ("self", "http://x/b"),
    )
    result = FetchResult(url="http://x/f", status=200, headers={"link": '<https://h/>; REL="Hub"'})
    assert result.links == (("hub", "https://h/"),)


def test_headers_win_over_the_document() -> None:
    headers = (("hub", "https://header-hub/"), ("self", "https://header/self"))
    assert discover(headers, ("https://doc-hub/",), "https://doc/self") == Links(
        ("https://header-hub/",), "https://header/self"
    )
    # headers without a hub: the document's hub, its self if it has one, else the header's
    assert discover((("self", "https://header/self"),), ("https://doc-hub/",), None) == Links(
        ("https://doc-hub/",), "https://header/self"
    )


def test_only_web_urls_and_no_repeats() -> None:
    found = discover(
        (), ("javascript:alert(1)", "https://h/", "https://h/", "ftp://h/"), "file:///etc/passwd"
    )
    assert found == Links(("https://h/",), None)
    assert found.hub == "https://h/" and Links().hub is None
