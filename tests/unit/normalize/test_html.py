"""html.py: HTML -> paragraphs with a real parser, and sanitized HTML (no script/style/handlers/javascript:)."""

from __future__ import annotations

import re

import pytest

from pipeline.transforms.normalize import html_to_text, sanitize_html
from pipeline.transforms.normalize.html import looks_like_html, text_blocks
from tests.unit.normalize.tables import FIXTURES

ARTICLE = (FIXTURES / "html" / "article.html").read_text(encoding="utf-8")


def test_article_text_matches_fixture():
    expected = (FIXTURES / "html" / "article.txt").read_text(encoding="utf-8").rstrip("\n")
    assert html_to_text(ARTICLE, french=True) == expected


def test_article_text_drops_non_story_content():
    text = html_to_text(ARTICLE)
    for junk in ("tracker", "injected", "color: red", "FILE PHOTO", "a comment", "Ignored title"):
        assert junk not in text
    assert "\n\n" in text and "\n\n\n" not in text


def test_sanitized_article_is_safe_and_resolved():
    safe = sanitize_html(ARTICLE, "https://www.example.fr/feed")
    lowered = safe.lower()
    for bad in ("<script", "<style", "onclick", "onerror", "javascript:", "<!--", "tracker", "<title"):
        assert bad not in lowered
    assert 'href="https://www.example.fr/suite"' in safe
    assert 'src="https://www.example.fr/photo.jpg"' in safe
    assert "<p>" in safe and "<b>Biélorussie</b>" in safe


@pytest.mark.parametrize(
    "payload",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<img src=x onerror="alert(1)">',
        "<svg onload=alert(1)><circle/></svg>",
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<scr<script>ipt>alert(1)</script>",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_sanitize_rejects_active_content(payload):
    out = sanitize_html(payload).lower()
    assert "javascript:" not in out and "onerror" not in out and "onload" not in out
    assert "<script" not in out and "<iframe" not in out and "<svg" not in out and "data:" not in out
    assert "style=" not in out


def test_sanitize_ignores_non_http_base():
    assert (
        sanitize_html('<a href="/x">x</a>', "file:///tmp/feed.xml")
        == '<a href="/x" rel="noopener noreferrer nofollow">x</a>'
    )


@pytest.mark.parametrize(
    ("html", "paragraphs"),
    [
        ("<p>a</p><p>b</p>", ["a", "b"]),
        ("a<br>b<br/><br>c", ["a", "b", "c"]),
        ("<div>a<div>b</div>c</div>", ["a", "b", "c"]),
        ("<ul><li>one</li><li>two</li></ul>", ["one", "two"]),
        ("<p>a <b>bold</b> and <i>it</i>alic</p>", ["a bold and italic"]),
        ("<p>&amp;lt;b&amp;gt;x&amp;lt;/b&amp;gt;</p>", ["x"]),  # double-escaped markup
        ("", []),
        ("<p>   </p>", []),
    ],
)
def test_blocks(html, paragraphs):
    assert text_blocks(html, is_html=True) == paragraphs


def test_plain_text_keeps_wire_angle_brackets():
    text = "ChemLawn Corp <CHEM> could attract a higher bid, said <Hughes Capital Corp>."
    assert not looks_like_html(text)
    assert text_blocks(text, is_html=False) == [text]


def test_plain_text_with_escaped_markup_is_parsed():
    assert text_blocks("Sony &lt;b&gt;profit&lt;/b&gt; rises", is_html=False) == ["Sony profit rises"]


def test_deep_nesting_does_not_recurse_forever():
    html = "<div>" * 3000 + "deep" + "</div>" * 3000
    assert re.sub(r"\s", "", html_to_text(html)) == "deep"
