"""The fast paths of dedup/text.py give exactly what the plain definitions give, on real and random text."""

from __future__ import annotations

import re
import zlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.transforms.dedup.text import (
    _ALL_STOPWORDS,
    _ELISION,
    _WORD,
    STOPWORDS,
    fold,
    shingle_list,
    split_elisions,
    tokens,
)
from tests.conftest import CORPORA, SEED


def plain_tokens(text: str, language: str | None = None) -> list[str]:
    stop = STOPWORDS.get((language or "")[:2].lower(), _ALL_STOPWORDS)
    return [w for w in _WORD.findall(fold(_ELISION.sub(" ", text))) if w not in stop]


def plain_shingles(text: str, language: str | None = None, k: int = 3) -> list[int]:
    words = plain_tokens(text, language)
    if len(words) < k:
        return [zlib.crc32(" ".join(words).encode())] if words else []
    return [zlib.crc32(" ".join(words[i : i + k]).encode()) for i in range(len(words) - k + 1)]


# apostrophes next to elided words, case-folding oddities (long s, dotted/dotless i, Kelvin), combining marks,
# underscores and digits glued to words, any other code point
pieces = st.one_of(
    st.sampled_from(["'", "’", "l", "L", "d'", "qu'", "QU’", "jusqu'", "Lorsqu’", "puisqu'", "s", "t", "c"]),
    st.sampled_from(
        ["\u017f'", "\u0130", "\u0131", "\u212a", "e\u0301", "_", "1", " ", "\n", "-", "é", "ß", "\U0001d400"]
    ),
    st.sampled_from(["the", "The", "and", "Ukraine", "a", "de", "la", "x"]),
    st.text(max_size=3),
)
texts = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_split_elisions_is_the_substitution(text: str) -> None:
    assert split_elisions(text) == _ELISION.sub(" ", text)


@settings(max_examples=1000, deadline=None)
@given(texts, st.sampled_from([None, "fr", "en", "de"]), st.integers(1, 4))
@example("\U0001d400 \u212a\u017f", None, 1)  # folds to ASCII with upper case: "A ks"
def test_tokens_and_shingles_on_random_text(text: str, language: str | None, k: int) -> None:
    assert tokens(text, language) == plain_tokens(text, language)
    assert shingle_list(text, language, k) == plain_shingles(text, language, k)


def test_tokens_and_shingles_on_real_text() -> None:
    sgm = (CORPORA / "datelines" / "reuters21578" / "reut2-000.sgm").read_text(encoding="latin-1")
    bodies = re.findall(r"<BODY>(.*?)</BODY>", sgm, re.S)
    seed = SEED.read_text(encoding="utf-8")
    assert len(bodies) > 900
    for text in [*bodies, seed, seed.upper()]:
        for language in (None, "fr", "en"):
            assert split_elisions(text) == _ELISION.sub(" ", text)
            assert tokens(text, language) == plain_tokens(text, language)
            assert shingle_list(text, language) == plain_shingles(text, language)
