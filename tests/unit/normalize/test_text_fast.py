"""clean_line with its ASCII and whitespace shortcuts gives what the plain sequence of steps gives."""

from __future__ import annotations

import re
import unicodedata

import ftfy
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.transforms.normalize import text as T
from tests.conftest import CORPORA, SEED


def plain_mojibake(text: str) -> str:
    for _ in range(T._MOJIBAKE_ROUNDS):
        if not T._MOJIBAKE_HINT_RE.search(text):
            return text
        fixed = ftfy.fix_text(text, T._FTFY_CONFIG)
        if fixed == text:
            return text
        text = fixed
    return text


def plain_once(text: str, french: bool) -> str:
    text = T._SURROGATE_RE.sub("", text)
    text = T.repair_entities(text)
    text = plain_mojibake(text)
    text = text.translate(T._TRANSLATE)
    text = unicodedata.normalize("NFC", text)
    text = T._WS_RUN_RE.sub(T._collapse, text).strip(" \u00a0\u202f")
    if french:
        text = T._FR_AFTER_RE.sub(T._fr_space, T._FR_BEFORE_RE.sub(T._fr_space, text))
    return text


def plain_clean_line(text: str, french: bool = False) -> str:
    text = plain_once(text, french)
    for _ in range(T._MOJIBAKE_ROUNDS):
        if not (
            T._MOJIBAKE_HINT_RE.search(text)
            or (";" in text and (T._ENTITY_RE.search(text) or T._BARE_NUMERIC_RE.search(text)))
            or (";" in text and T._BARE_NAMED_RE.search(text))
        ):
            break
        again = plain_once(text, french)
        if again == text:
            break
        text = again
    return text


pieces = st.one_of(
    st.sampled_from(
        [" ", "  ", "\t", "\n", "\r\n", "\f", "\v", "\u00a0", "\u202f", " \u00a0", "\x00", "\x85", "\u2028"]
    ),
    st.sampled_from(
        ["Ã©", "â€™", "Â ", "&amp;", "&#39;", "#39;", "quot;", "&nbsp;", "e\u0301", "\ufb01", "\ud800"]
    ),
    st.sampled_from(["word", "Kyiv", "l'", ";", ":", "!", "?", "«", "»", "10:30", "-"]),
    st.text(max_size=3),
)
texts = st.lists(pieces, max_size=30).map("".join)


@settings(max_examples=2000, deadline=None)
@given(texts, st.booleans())
def test_clean_line_is_the_plain_sequence(text: str, french: bool) -> None:
    assert T.clean_line(text, french=french) == plain_clean_line(text, french)
    assert T.repair_mojibake(text) == plain_mojibake(text)


def test_clean_line_on_real_paragraphs() -> None:
    sgm = (CORPORA / "datelines" / "reuters21578" / "reut2-000.sgm").read_text(encoding="latin-1")
    paras = [p for body in re.findall(r"<BODY>(.*?)</BODY>", sgm, re.S) for p in body.split("\n    ")]
    paras += SEED.read_text(encoding="utf-8").split("\n")
    assert len(paras) > 3000
    for p in paras:
        for french in (False, True):
            assert T.clean_line(p, french=french) == plain_clean_line(p, french)
