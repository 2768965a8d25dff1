"""HTML in, text or safe HTML out: paragraphs via a real parser (selectolax/lexbor), sanitizing via nh3 (ammonia).

``html_blocks`` gives the raw text of each block element (entities decoded by the parser, not yet cleaned);
``html_to_text`` joins cleaned blocks with blank lines; ``sanitize_html`` keeps an allow-list of tags and attributes
with no script, style, event handler or ``javascript:`` URL.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.transforms.normalize.text import clean_line, text_paragraphs

# Markup in text that is meant as plain: only real HTML element names count, so the wire's "<CHEM>" ticker and
# "<Hughes Capital Corp>" company markers stay text.
_HTML_TAGS = (
    "a|abbr|article|aside|b|blockquote|body|br|caption|center|cite|code|dd|del|div|dl|dt|em|figcaption|figure|font|"
    "footer|h[1-6]|head|header|hr|html|i|iframe|img|ins|li|link|main|meta|nav|noscript|ol|p|pre|q|s|script|section|"
    "small|span|strike|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|time|title|tr|u|ul|video|audio|source|svg"
)
# A tag never spans a blank line: that is where the normalizer's own output separates paragraphs ("<P" and "000>"
# from the plain text "<P\r000>" must not read back as one tag).
TAG_RE = re.compile(
    rf"<(?:/?(?:{_HTML_TAGS})(?:(?!\n\s*\n)\s(?:(?!\n\s*\n)[^<>])*)?/?|!--[^<>]*)>", re.IGNORECASE
)

# Elements whose content is not article text (captions and asides included: "FILE PHOTO: ..." is not the story).
_SKIP = frozenset(
    (
        "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head", "title",
        "button", "select", "option", "textarea", "form", "nav", "aside", "figure", "figcaption", "footer",
        "video", "audio", "canvas", "map", "picture", "source", "track"
    )
)  # fmt: skip
_BLOCK = frozenset(
    (
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "caption", "section", "article",
        "header", "main", "address", "center", "details", "summary", "body", "html"
    )
)  # fmt: skip
_CELL = frozenset(("td", "th"))
_MAX_DEPTH = 200  # deeper nesting is flattened rather than risking recursion limits


def looks_like_html(text: str) -> bool:
    return TAG_RE.search(text) is not None


def _walk(node: LexborNode, out: list[list[str]], depth: int) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out[-1].append(child.text_content or "")
        elif tag in _SKIP or tag is None or tag.startswith("-"):
            continue  # comments, doctype, skipped elements
        elif tag in _BLOCK:
            if out[-1]:
                out.append([])
            if depth < _MAX_DEPTH:
                _walk(child, out, depth + 1)
            else:
                out[-1].append(child.text(deep=True) or "")
            if out[-1]:
                out.append([])
        else:
            if tag in _CELL:
                out[-1].append(" ")
            if depth < _MAX_DEPTH:
                _walk(child, out, depth + 1)
            else:
                out[-1].append(child.text(deep=True) or "")
            if tag in _CELL:
                out[-1].append(" ")


def html_blocks(html: str) -> list[str]:
    """HTML -> the raw text of each block, in document order (one ``<br>`` ends a block too)."""
    if not html or not html.strip():
        return []
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return []
    out: list[list[str]] = [[]]
    _walk(root, out, 0)
    return [s for s in ("".join(parts).strip() for parts in out) if s]


def html_to_text(html: str, *, french: bool = False) -> str:
    """HTML -> clean text, paragraphs separated by a blank line.  Double-escaped markup is decoded and dropped."""
    return "\n\n".join(text_blocks(html, is_html=True, french=french))


def text_blocks(content: str, *, is_html: bool, french: bool = False) -> list[str]:
    """Content -> clean paragraphs.  Plain text that turns out to carry (escaped) markup is parsed as HTML."""
    raw = html_blocks(content) if is_html else text_paragraphs(content)
    out: list[str] = []
    pending = [(p, 0) for p in reversed(raw)]
    while pending:
        para, rounds = pending.pop()
        line = clean_line(para, french=french)
        if rounds < 4 and "<" in line and looks_like_html(line):
            # "&lt;b&gt;" became "<b>": parse again (each round removes a level of escaping)
            pending.extend((p, rounds + 1) for p in reversed(html_blocks(line)))
            continue
        if line:
            out.append(line)
    return out


# --- sanitizing ------------------------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    (
        "p", "br", "hr", "a", "b", "strong", "i", "em", "u", "s", "sub", "sup", "small", "mark", "q", "cite",
        "abbr", "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
        "h6", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "figure", "figcaption", "img",
        "time", "span", "div"
    )
)  # fmt: skip
_ALLOWED_ATTRS = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "time": {"datetime"},
    "ol": {"start"},
}
_CLEAN_CONTENT = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "textarea",
    "title",
}
_SCHEMES = {"http", "https", "mailto"}
_SANITIZE_ROUNDS = 4
_PRE_NEWLINES_RE = re.compile(r"(<pre(?:\s[^>]*)?>)(?:\r?\n)+")


@lru_cache(maxsize=512)
def _cleaner(base: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=_CLEAN_CONTENT,
        attributes={k: set(v) for k, v in _ALLOWED_ATTRS.items()},
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        url_relative=("rewrite_with_base", base) if base else "pass_through",
    )


def sanitize_html(html: str, base: str | None = None) -> str:
    """HTML -> allow-listed HTML (no script/style/event handlers/``javascript:``), relative links resolved on ``base``.

    Only ``http(s)`` bases are used for resolution; anything else leaves relative links as they are.
    """
    if not html:
        return ""
    if base is not None and not base.lower().startswith(("http://", "https://")):
        base = None
    elif base is not None:
        # resolving "x.html" or "/x" needs only the directory of the base; sharing it keeps the cleaner cache warm
        base = base.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[0] + "/"
    try:
        cleaner = _cleaner(base)
    except ValueError:  # nh3 rejects a base it cannot parse as a URL
        cleaner = _cleaner(None)
    # Cleaning once does not always give a fixed point: removing an unknown element can leave markup that parses
    # differently the second time ("<h1><x><h1>"), and parsers drop one newline right after <pre>.
    out = html
    for _ in range(_SANITIZE_ROUNDS):
        again = _PRE_NEWLINES_RE.sub(r"\1", cleaner.clean(out)).strip()
        if again == out:
            break
        out = again
    return out
