"""fetch -> parse through a real HTTP server on 127.0.0.1 (pipeline.devserver); no Kafka here."""

from __future__ import annotations

import csv
import gzip
import re
import tracemalloc
from pathlib import Path

import pytest

from pipeline.devserver import Behaviour, DevServer, file_headers
from pipeline.poller.fetch import build_client, fetch
from pipeline.poller.parse import parse_feed
from pipeline.poller.settings import PollerSettings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "poller"
CORPORA = REPO / ".." / "shared" / "corpora" / "feeds"
MINIFLUX = CORPORA / "miniflux" / "internal" / "reader" / "parser" / "testdata"
LOCAL = PollerSettings(
    allow_private_hosts=("127.0.0.1",),
    contact="mailto:newsroom@example.org",
    connect_timeout_s=2,
    read_timeout_s=1.0,
    total_timeout_s=3.0,
)


@pytest.fixture()
def server():
    with DevServer(FIXTURES) as srv:
        yield srv


@pytest.fixture()
def client():
    with build_client(LOCAL) as c:
        yield c


def test_conditional_get_and_honest_user_agent(server, client):
    url = server.url_for("wire_v1.xml")
    first = fetch(client, url, LOCAL)
    assert (
        first.status == 200
        and first.headers["etag"]
        and first.body == (FIXTURES / "wire_v1.xml").read_bytes()
    )
    assert fetch(client, url, LOCAL, etag=first.headers["etag"]).not_modified
    assert fetch(client, url, LOCAL, last_modified=first.headers["last-modified"]).not_modified
    both = fetch(client, url, LOCAL, etag='"stale"', last_modified=first.headers["last-modified"])
    assert both.status == 200  # If-None-Match wins: a stale ETag means a full answer
    hits = server.hits_for("wire_v1.xml")
    assert hits[1].headers["if-none-match"] == first.headers["etag"]
    ua = hits[0].headers["user-agent"]
    assert ua.startswith("news-pipeline/") and "mailto:newsroom@example.org" in ua
    assert "gzip" in hits[0].headers["accept-encoding"]


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies(server, client, encoding):
    server.script("wire_v1.xml", Behaviour(encoding=encoding))
    r = fetch(client, server.url_for("wire_v1.xml"), LOCAL)
    assert r.ok and r.body == (FIXTURES / "wire_v1.xml").read_bytes() and r.wire_bytes < len(r.body)


def test_429_with_retry_after(server, client):
    server.script("wire_v1.xml", Behaviour(status=429, retry_after="120", times=1))
    r = fetch(client, server.url_for("wire_v1.xml"), LOCAL)
    assert r.status == 429 and r.retry_after == "120" and r.error_kind == "http_4xx"
    assert fetch(client, server.url_for("wire_v1.xml"), LOCAL).ok


def test_redirects_permanent_temporary_and_capped(server, client):
    server.script("moved.xml", Behaviour(redirect_to="moved2.xml", status=301))
    server.script("moved2.xml", Behaviour(redirect_to="wire_v1.xml", status=308))
    r = fetch(client, server.url_for("moved.xml"), LOCAL)
    assert r.ok and r.permanent_url == server.url_for("wire_v1.xml")
    server.script("temp.xml", Behaviour(redirect_to="moved.xml", status=302))
    r = fetch(client, server.url_for("temp.xml"), LOCAL)
    assert r.ok and r.permanent_url is None  # one temporary hop: keep the old URL
    server.script("loop.xml", Behaviour(redirect_to="loop.xml", status=302))
    r = fetch(client, server.url_for("loop.xml"), LOCAL)
    assert r.error_kind == "redirects"
    assert len(server.hits_for("loop.xml")) == LOCAL.max_redirects + 1


def test_slow_server_times_out(server, client):
    server.script("wire_v1.xml", Behaviour(delay_s=1.2, times=1))
    r = fetch(client, server.url_for("wire_v1.xml"), LOCAL)
    assert r.error_kind == "timeout" and r.elapsed_s < 2
    server.script("drip.xml", Behaviour(body=b"<rss>" + b" " * 8192 + b"</rss>", drip_s=0.3))
    quick = LOCAL.model_copy(update={"total_timeout_s": 1.0})
    r = fetch(client, server.url_for("drip.xml"), quick)
    assert r.error_kind == "timeout" and r.elapsed_s < 2  # each chunk in time, the whole too slow


def test_oversized_body(server, client):
    small = LOCAL.model_copy(update={"max_body_bytes": 100_000})
    server.script("wire_v1.xml", Behaviour(oversize=200_000))
    r = fetch(client, server.url_for("wire_v1.xml"), small)
    assert r.error_kind == "too_large" and "Content-Length" in r.error


def test_gzip_bomb_is_stopped_with_bounded_memory(server, client):
    server.script(
        "bomb.xml", Behaviour(raw_body=(FIXTURES / "gzip_bomb.xml.gz").read_bytes(), raw_encoding="gzip")
    )
    capped = LOCAL.model_copy(update={"max_decoded_bytes": 8 * 1024 * 1024})
    tracemalloc.start()
    r = fetch(client, server.url_for("bomb.xml"), capped)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert r.error_kind == "too_large" and not r.body
    assert peak < 40 * 1024 * 1024, (
        peak
    )  # the bomb inflates to 120 MB; we never hold more than the cap + buffers
    assert len(gzip.decompress((FIXTURES / "gzip_bomb.xml.gz").read_bytes())) > 100 * 1024 * 1024


def test_ssrf_refused_by_default_and_on_redirects(server):
    strict = PollerSettings()
    with build_client(strict) as c:
        r = fetch(c, server.url_for("wire_v1.xml"), strict)
        assert r.error_kind == "blocked" and not server.hits_for("wire_v1.xml")
        assert fetch(c, "http://169.254.169.254/latest/meta-data/", strict).error_kind == "blocked"
        assert (
            fetch(c, f"http://[::ffff:127.0.0.1]:{server.port}/wire_v1.xml", strict).error_kind == "blocked"
        )
        assert fetch(c, "file:///etc/passwd", strict).error_kind == "scheme"
        assert fetch(c, f"http://localhost:{server.port}/wire_v1.xml", strict).error_kind == "blocked"
    with build_client(LOCAL) as c:  # 127.0.0.1 allowed; redirects elsewhere inside are not
        for i, target in enumerate(
            [
                "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.1/",
                f"http://[::1]:{server.port}/wire_v1.xml",
                "file:///etc/passwd",
            ]
        ):
            server.script(f"r{i}.xml", Behaviour(redirect_to=target, status=302))
            r = fetch(c, server.url_for(f"r{i}.xml"), LOCAL)
            assert r.error_kind in ("blocked", "scheme"), (target, r)


def test_miniflux_gold_titles_through_http(client):
    with open(CORPORA / "miniflux" / "parser_encoding_expectations.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == 6
    with DevServer(MINIFLUX) as srv:
        for i, row in enumerate(rows):
            path = f"gold{i}/{row['filename']}"
            srv.put(
                path, (MINIFLUX / row["filename"]).read_bytes(), {"Content-Type": row["content_type_header"]}
            )
            r = fetch(client, srv.url_for(path), LOCAL)
            assert r.ok and r.headers["content-type"] == row["content_type_header"]
            pf = parse_feed(r.body, r.headers, srv.url_for(path), 0, http_status=r.status)
            assert pf.entries[int(row["entry_index"])].title == row["expected_title"], row


def test_feedparser_http_cases_with_their_header_lines(client):
    """The corpus files that carry ``Header:`` lines, served with those headers, parsed as feedparser expects."""
    import io

    import feedparser

    from pipeline.poller.parse import _lower_headers

    tests = CORPORA / "feedparser" / "tests"
    files = sorted(p for p in tests.rglob("*.xml") if file_headers(p.read_bytes()))
    assert len(files) >= 100
    checked = 0
    with DevServer(tests) as srv:
        for path in files:
            rel = str(path.relative_to(tests))
            r = fetch(client, srv.url_for(rel), LOCAL)
            assert r.ok, (rel, r.error)
            for name, value in file_headers(path.read_bytes()).items():
                assert r.headers.get(name.lower()) == value, (rel, name)
            pf = parse_feed(r.body, r.headers, srv.url_for(rel), 0)
            assert pf.error is None or pf.error_kind == "not_a_feed"
            expect = re.search(r"Expect:\s+(.*)", path.read_bytes()[:2048].decode("latin-1"))
            if "/encoding/" in str(path) and expect and "bozo" not in expect.group(1).replace("not bozo", ""):
                result = feedparser.parse(
                    io.BytesIO(r.body), response_headers=_lower_headers(r.headers, r.url)
                )
                env = {**result, "feed": result.feed, "entries": result.entries}
                assert eval(expect.group(1), {}, env), (rel, expect.group(1))
                checked += 1
    assert checked >= 20
