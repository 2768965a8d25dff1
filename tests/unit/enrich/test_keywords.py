"""The fast keyword path (one regex scan, whole-list candidates) against the plain per-word reference it replaced."""

from __future__ import annotations

import math
import random

import pytest

from pipeline.transforms.enrich.keywords import (
    CLAUSE,
    ELIDED,
    WORD,
    flat_words,
    keywords_from,
    keywords_from_flat,
    stop_words,
    words,
)

from .conftest import SHARED, seed_dispatch


def reference_words(text: str) -> list[list[str]]:
    out = []
    for clause in CLAUSE.split(text):
        ws = [ELIDED.sub("", w) for w in WORD.findall(clause)]
        if ws:
            out.append([w for w in ws if w])
    return out


def reference_keywords(clauses: list[list[str]], language: str | None, top: int = 10) -> tuple[str, ...]:
    stops = stop_words(language)
    total = sum(len(c) for c in clauses) or 1
    freq: dict[str, int] = {}
    first_pos: dict[str, int] = {}
    upper: dict[str, int] = {}
    surface: dict[str, str] = {}
    pos = 0
    for clause in clauses:
        lows = [w.casefold() for w in clause]
        for i in range(len(clause)):
            first = lows[i]
            if first in stops or len(first) < 2:
                continue
            capital = i > 0 and clause[i][0].isupper()
            for j in range(i + 1, min(i + 3, len(clause)) + 1):
                last = lows[j - 1]
                if len(last) < 2:
                    break
                if j == i + 1:
                    if len(first) < 4:
                        continue
                    key = first
                elif last in stops:
                    continue
                else:
                    key = " ".join(lows[i:j])
                if key not in freq:
                    freq[key], first_pos[key], surface[key] = 0, pos + i, " ".join(clause[i:j])
                freq[key] += 1
                if capital:
                    upper[key] = upper.get(key, 0) + 1
        pos += len(clause)
    scores: dict[str, float] = {}
    for key, f in freq.items():
        n_words = key.count(" ") + 1
        capitals = upper.get(key, 0)
        if n_words > 1 and f < 2 and not capitals:
            continue
        position = 1.0 / math.log2(3 + first_pos[key] * 20 / total)
        scores[key] = f * (1.0 + 0.5 * (n_words - 1)) * position * (1.3 if capitals else 1.0)
    chosen: list[str] = []
    for key in sorted(scores, key=lambda k: (-scores[k], first_pos[k])):
        if any(key in c or c in key for c in chosen):
            continue
        chosen.append(key)
        if len(chosen) == top:
            break
    return tuple(surface[k] for k in chosen)


def _real_texts() -> list[str]:
    d = seed_dispatch()
    texts = [f"{d.headline}\n\n{d.body}", *d.body.split("\n\n")]
    sgm = SHARED / "corpora" / "datelines" / "reuters21578" / "reut2-000.sgm"
    if sgm.is_file():
        texts += sgm.read_text(encoding="latin-1").split("</REUTERS>")[:300]
    return texts


ALPHABET = [*"abcdelmnqstujLDJMQSTUÉéàçſKİıß'’-–— .,;:!?()«»\"\n09_", "qu'", "jusqu'", "L’", " - ", "d'"]


def _random_texts(n: int) -> list[str]:
    rng = random.Random(5)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 100))) for _ in range(n)]


def _grouped(flat: list[str]) -> list[list[str]]:
    out, cur = [], []
    for w in [*flat, ""]:
        if w:
            cur.append(w)
        elif cur:
            out.append(cur)
            cur = []
    return out


@pytest.mark.parametrize("source", ["real", "random"])
def test_words_and_flat_words_match_the_reference(source: str) -> None:
    texts = _real_texts() if source == "real" else _random_texts(5000)
    for text in texts:
        expected = reference_words(text)
        assert words(text) == expected, text
        assert _grouped(flat_words(text)) == expected, text


@pytest.mark.parametrize("language", ["en", "fr", None])
def test_keywords_match_the_reference_on_real_text(language: str | None) -> None:
    for text in _real_texts():
        clauses = reference_words(text)
        expected = reference_keywords(clauses, language)
        assert keywords_from(clauses, language) == expected
        assert keywords_from_flat(flat_words(text), language) == expected
        assert keywords_from(clauses, language, top=3) == reference_keywords(clauses, language, top=3)


def test_keywords_match_the_reference_on_random_clauses() -> None:
    """Repeated words, stop words in every position, capitals and one-letter words: ties in score are common."""
    rng = random.Random(11)
    pool = [w for t in _real_texts()[:40] for c in reference_words(t) for w in c]
    stops = sorted(stop_words("en"))[:60]
    pool += stops + [s.title() for s in stops[:10]] + ["a", "A", "B", "x"]
    for _ in range(3000):
        clauses = [[rng.choice(pool) for _ in range(rng.randint(0, 10))] for _ in range(rng.randint(0, 6))]
        assert keywords_from(clauses, "en") == reference_keywords(clauses, "en"), clauses
        assert keywords_from(clauses, "en", top=2) == reference_keywords(clauses, "en", top=2), clauses
