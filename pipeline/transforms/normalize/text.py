"""Plain-text repair: entities, mojibake, Unicode form, whitespace, French punctuation spacing, paragraphs.

In: a string as a feed delivered it (plain text, or text already extracted from HTML).  Out: clean text, or a list
of clean paragraphs.  Every function here is idempotent: applying it to its own output changes nothing.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.entities import html5

import ftfy

# --- entities -------------------------------------------------------------------------------------------------

# Only well-formed references with a semicolon: html.unescape alone would also decode "&not" in "this&nothing".
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# AG News and other scrapers lost the "&" of entities: "#39;", "quot;", "#36;".
_BARE_NUMERIC_RE = re.compile(r"(?<![&#])#([0-9]{2,5});")
_BARE_NAMED_RE = re.compile(r"(?<![&\w;])(quot|amp|lt|gt|nbsp|apos);")
# AG News also replaced the "&" by a space: "Sony #39;s" was "Sony&#39;s".
_BARE_APOSTROPHE_RE = re.compile(r"(?<=\w) #(39|146|8217);(?=\w)")
_APOSTROPHES = {"39": "'", "146": "’", "8217": "’"}


def _bare_numeric(m: re.Match[str]) -> str:
    code = int(m.group(1))
    if 0x80 <= code < 0xA0:  # cp1252 code points written as numbers, as HTML5 reads them
        return bytes([code]).decode("cp1252", "replace")
    if 32 <= code < 0xD800 or 0xE000 <= code <= 0x10FFFF:
        return chr(code)
    return m.group(0)


def _entity(m: re.Match[str]) -> str:
    ref = m.group(0)
    if ref[1] == "#":
        return html.unescape(ref)
    return html5.get(ref[1:], ref)  # whole names only: "&gtquot;" is not "&gt" + "quot;"


def repair_entities(text: str) -> str:
    """Decode HTML character references, also double-escaped ones (``&amp;lt;``) and AG News' ``#39;``.

    Decodes until nothing decodable is left, so the result is a fixed point (each round shortens the text).
    """
    if "&" not in text and ";" not in text:
        return text
    while True:
        new = _BARE_APOSTROPHE_RE.sub(lambda m: _APOSTROPHES[m.group(1)], text)
        new = _BARE_NUMERIC_RE.sub(_bare_numeric, new)
        new = _BARE_NAMED_RE.sub(lambda m: f"&{m.group(1)};", new)
        new = _ENTITY_RE.sub(_entity, new)
        if new == text:
            return text
        text = new


# --- mojibake ---------------------------------------------------------------------------------------------------

# ftfy is thorough but costs ~0.4 ms per KB even on clean text, so it only sees text that could be mojibake: a
# Latin-1 lead byte (Â..ô) followed by a continuation-range or cp1252 character, or a C1 control character.
_MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|[\u0080-\u009f]"
)
_MOJIBAKE_ROUNDS = 6
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # repair_entities does this without touching "&not"-like text
    uncurl_quotes=False,  # typographic quotes are content
    fix_character_width=False,  # leave fullwidth CJK punctuation alone
    normalization=None,  # NFC is applied after, to everything
    explain=False,
)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as Latin-1/cp1252 (``Ã©`` -> ``é``, ``â€™`` -> ``’``) when the text shows signs of it."""
    # One ftfy pass can reveal more mojibake (C1 controls become cp1252 letters that decode again), so repeat to a
    # fixed point: the result must not change when normalized a second time.
    if text.isascii():  # every hint is a non-ASCII character (the scan costs ~0.15 us a character)
        return text
    for _ in range(_MOJIBAKE_ROUNDS):
        if not _MOJIBAKE_HINT_RE.search(text):
            return text
        fixed = ftfy.fix_text(text, _FTFY_CONFIG)
        if fixed == text:
            return text
        text = fixed
    return text


# --- characters and whitespace -------------------------------------------------------------------------------

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Control characters (not \t \n), zero-width and soft hyphen, BOM, replacement of exotic spaces by a plain space.
_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0)])
_DROP.update(dict.fromkeys([0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFFFE, 0xFFFF]))
_SPACES = dict.fromkeys([0x1680, *range(0x2000, 0x200B), 0x205F, 0x3000, 0x2028, 0x2029, 0x0085], " ")
_TRANSLATE = str.maketrans({**_DROP, **_SPACES, **_LIGATURES})
# str.translate with a dict walks every character in Python-level lookups; most text has nothing to translate
_NEEDS_TRANSLATE_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_TRANSLATE)) + "]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")

NBSP = "\u00a0"
NNBSP = "\u202f"
# runs to rewrite: two or more spaces of any kind, or one space that is not " " / NBSP / NNBSP
_WS_RUN_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u202f]{2,}|[\t\r\n\f\v]")
# French: a space before ; : ! ? » and after « is non-breaking.  Only existing spaces are changed, none added, so
# "10:30" and "http://" stay intact.
_FR_BEFORE_RE = re.compile(r"[ \u00a0\u202f]+(?=[;:!?»])")
_FR_AFTER_RE = re.compile(r"(?<=«)[ \u00a0\u202f]+")


def _collapse(m: re.Match[str]) -> str:
    run = m.group(0)
    if NNBSP in run:
        return NNBSP
    if NBSP in run:
        return NBSP
    return " "


def _fr_space(m: re.Match[str]) -> str:
    return NNBSP if NNBSP in m.group(0) else NBSP


def _needs_ws_collapse(text: str) -> bool:
    """Whether ``_WS_RUN_RE`` matches: a tab, CR, LF, FF or VT, or two spaces of any kind in a row (without
    NBSP/NNBSP in the text, only "  " can be that)."""
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:
        return True
    return not text.isascii() and ("\u00a0" in text or "\u202f" in text)


def _clean_once(text: str, french: bool) -> str:
    if not text.isascii():
        text = _SURROGATE_RE.sub("", text)
    text = repair_entities(text)
    text = repair_mojibake(text)
    if _NEEDS_TRANSLATE_RE.search(text):
        text = text.translate(_TRANSLATE)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if _needs_ws_collapse(text):  # the substitution costs ~0.1 us a character even when nothing matches
        text = _WS_RUN_RE.sub(_collapse, text)
    text = text.strip(" \u00a0\u202f")
    if french and (";" in text or ":" in text or "!" in text or "?" in text or "«" in text or "»" in text):
        text = _FR_BEFORE_RE.sub(_fr_space, text)
        text = _FR_AFTER_RE.sub(_fr_space, text)
    return text


def _may_change_again(text: str) -> bool:
    """Whether one step's output can feed another (a control dropped, "e\u0301" composed or a space made
    non-breaking can complete a mojibake sequence; a dropped character can complete an entity)."""
    return (not text.isascii() and bool(_MOJIBAKE_HINT_RE.search(text))) or (
        ";" in text
        and bool(_ENTITY_RE.search(text) or _BARE_NUMERIC_RE.search(text) or _BARE_NAMED_RE.search(text))
    )


def clean_line(text: str, *, french: bool = False) -> str:
    """One paragraph or title: entities, mojibake, controls, ligatures, NFC, single spaces, trimmed.

    Newlines become spaces: a cleaned line never contains one.  With ``french``, spaces before ``;:!?»`` and after
    ``«`` become non-breaking.  The result is a fixed point: cleaning it again changes nothing.
    """
    text = _clean_once(text, french)
    for _ in range(_MOJIBAKE_ROUNDS):
        if not _may_change_again(text):
            break
        again = _clean_once(text, french)
        if again == text:
            break
        text = again
    return text


# --- paragraphs from plain text -----------------------------------------------------------------------------

_BLANK_LINES_RE = re.compile(r"\n[ \t\u00a0]*\n")
# lines at most this long, most of them near the block's width: the text was hard-wrapped
_HARD_WRAP_MAX = 100


def _block_paragraphs(block: str) -> list[str]:
    """Split one blank-line-free block: an indented line starts a paragraph; hard-wrapped lines are joined."""
    lines = [ln for ln in block.split("\n") if ln.strip()]
    if len(lines) <= 1:
        return [ln.strip() for ln in lines]
    width = max(len(ln.rstrip()) for ln in lines)
    wrapped = width <= _HARD_WRAP_MAX
    paras: list[list[str]] = []
    prev_len = 0
    for ln in lines:
        starts_new = (
            not paras
            or ln[:1] in (" ", "\t", "\u00a0")  # wire copy indents new paragraphs
            or not wrapped  # long unwrapped lines: one paragraph per line
            or prev_len < 0.6 * width  # a short line ended the previous paragraph
        )
        if starts_new:
            paras.append([ln.strip()])
        else:
            paras[-1].append(ln.strip())
        prev_len = len(ln.rstrip())
    return [" ".join(p) for p in paras]


def text_paragraphs(text: str) -> list[str]:
    """Plain text -> raw paragraphs (not yet cleaned): blank lines, indentation and short lines end paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for block in _BLANK_LINES_RE.split(text):
        out.extend(p for p in _block_paragraphs(block) if p)
    return out


def is_french(language: str | None) -> bool:
    return bool(language) and language.lower().replace("_", "-").split("-")[0] == "fr"  # type: ignore[union-attr]
