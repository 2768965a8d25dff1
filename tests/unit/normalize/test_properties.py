"""Property tests (hypothesis) over arbitrary Unicode and HTML: the normalizer never raises, stays within a length
bound of its input, and is idempotent on its own output."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.model import RawEntry
from pipeline.transforms.normalize import (
    canonical_url,
    clean_headline,
    normalize_entry,
    parse_byline,
    parse_date,
    parse_dateline,
    sanitize_html,
)
from pipeline.transforms.normalize.html import looks_like_html, text_blocks
from pipeline.transforms.normalize.text import clean_line

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that exercise the repair paths: entities (also broken and double-escaped), mojibake, odd spaces,
# controls, ligatures, French punctuation, wire datelines/bylines and update markers.
PIECES = st.sampled_from(
    [
        "&amp;", "&amp;amp;", "&lt;b&gt;", "&#39;", "#39;", " #39;s", "quot;", "&nbsp;", "&#x1F600;", "&#0;", "&bogus;",
        "Ã©", "â€™", "Ã¢â‚¬â„¢", "\u00a0", "\u202f", "\u200b", "\u00ad", "\x00", "\x85", "\ufb01", "e\u0301", "\r\n",
        " ! ", " : ", "« ", " »", "KYIV (Reuters) - ", "PARIS, 24 novembre (AFP) - ", "par A B et C D", "By X Y, Reuters",
        "UPDATE 2-", "(Avec Reuters)", "Reuter", "<", ">", "&", ";", "\n\n", "    ", "\t",
    ]
)  # fmt: skip
TAGS = st.sampled_from(
    ["p", "div", "b", "i", "a", "br", "li", "ul", "script", "style", "td", "tr", "table", "span", "h2", "pre", "figure"]
)  # fmt: skip
ATTRS = st.sampled_from(
    ["", ' href="javascript:alert(1)"', ' onclick="x()"', ' href="/rel"', ' style="color:red"', ' class="c"']
)
VOIDS = st.sampled_from(["<br>", "<br/>", "<hr>", "<!-- c -->", "<img src=x onerror=y>", "</p>", "<p"])
TEXT = st.lists(st.one_of(st.text(max_size=30), PIECES), max_size=12).map("".join)


@st.composite
def html_docs(draw, depth: int = 3) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 3))
        if kind == 0 or depth == 0:
            parts.append(draw(TEXT))
        elif kind == 1:
            parts.append(draw(VOIDS))
        else:
            tag = draw(TAGS)
            parts.append(f"<{tag}{draw(ATTRS)}>{draw(html_docs(depth - 1))}</{tag}>")
    return "".join(parts)


ANY_CONTENT = st.one_of(TEXT, html_docs(), st.text())


def normalize_text(content: str, is_html: bool | None = None) -> str:
    """The body normalizer as the core uses it: blocks of clean text joined by blank lines."""
    if is_html is None:
        is_html = looks_like_html(content)
    return "\n\n".join(text_blocks(content, is_html=is_html, french=True))


@SETTINGS
@given(ANY_CONTENT, st.booleans())
@example("<P\r000>", False)  # found by hypothesis: the text's two paragraphs read back as one <p 000> tag
def test_text_normalizer_is_bounded_and_idempotent(content, is_html):
    out = normalize_text(content, is_html)
    assert len(out) <= 3 * len(content)
    assert normalize_text(out) == out
    assert normalize_text(out, False) == out


@SETTINGS
@given(TEXT)
def test_clean_line_is_idempotent(text):
    for french in (False, True):
        once = clean_line(text, french=french)
        assert "\n" not in once
        assert len(once) <= 3 * len(text)
        assert clean_line(once, french=french) == once


@SETTINGS
@given(ANY_CONTENT)
def test_sanitizer_is_bounded_and_idempotent(content):
    out = sanitize_html(content, "https://example.com/feed")
    assert len(out) <= 6 * len(content) + 64
    assert "javascript:" not in out.lower() and "<script" not in out.lower()
    assert sanitize_html(out, "https://example.com/feed") == out


@SETTINGS
@given(st.one_of(TEXT, st.text()))
# two trailing credits: the second cleaning removed the first (hypothesis found it)
@example("0(REUTER) -REUTER")
def test_headline_is_idempotent(title):
    headline, _hint = clean_headline(title)
    assert len(headline) <= 3 * len(title)
    assert clean_headline(headline)[0] == headline or headline.startswith(("UPDATE", "EXCLUSIVE"))


@SETTINGS
@given(st.one_of(TEXT, st.text()))
def test_parsers_never_raise(text):
    parse_dateline(text)
    parse_byline(text)
    parse_date(text, now_ms=0)
    canonical_url(text, "https://example.com/feed")
    url = canonical_url("https://example.com/" + text)
    assert url is None or canonical_url(url) == url


@SETTINGS
@given(
    title=st.one_of(st.none(), TEXT),
    content=st.one_of(st.none(), ANY_CONTENT),
    content_type=st.sampled_from([None, "text/html", "text/plain", "application/xhtml+xml"]),
    summary=st.one_of(st.none(), TEXT),
    authors=st.lists(TEXT, max_size=3),
    dates=st.tuples(st.one_of(st.none(), st.text(max_size=40)), st.one_of(st.none(), st.text(max_size=40))),
    link=st.one_of(st.none(), st.text(max_size=40)),
    language=st.sampled_from([None, "fr", "en", "de-DE"]),
)
def test_normalize_entry_never_raises_and_is_bounded(
    title, content, content_type, summary, authors, dates, link, language
):
    raw = RawEntry(
        feed_url="https://example.com/feed", entry_key="k", content_hash="h", title=title, content=content,
        content_type=content_type, summary=summary, authors=tuple(authors), published_raw=dates[0],
        updated_raw=dates[1], link=link, feed_language=language,
    )  # fmt: skip
    d = normalize_entry(raw, now_ms=1_671_451_200_000)
    source = (content or "") if (content or "").strip() else (summary or "")
    assert len(d.body) <= 3 * len(source)
    assert len(d.headline) <= 3 * max(len(title or ""), len(source))
    assert d.published is None or d.published.millis <= 1_671_451_200_000 + 10 * 60 * 1000
    assert normalize_entry(raw, now_ms=1_671_451_200_000) == d
