"""cue_hits (per-worker word table) and folded_words (map over the first words) against plain per-word references."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pipeline.transforms.enrich import topic_cues
from pipeline.transforms.enrich.keywords import words
from pipeline.transforms.enrich.topic_cues import _topics_of, _word_topics, cue_hits, fold_word
from pipeline.transforms.enrich.topic_features import MAX_WORDS, folded_words

from .conftest import seed_dispatch

ODD = ["", "-", "’", "Jean-Pierre", "a-b-c", "\u0301", "x\u0301", "İstanbul", "ﬁnance", "Ǆ"]


def reference_cue_hits(ws: list[str], language: str | None, folded: bool = False) -> Counter[str]:
    hits: Counter[str] = Counter()
    if topic_cues.has_cues(language):
        for w in ws:
            for code in (_topics_of if folded else _word_topics)(w, language):
                hits[code] += 1
    return hits


def reference_folded(ws: list[str]) -> list[str]:
    out: list[str] = []
    for w in ws:
        if len(out) >= MAX_WORDS:
            break
        out.extend(fold_word(w))
    return out[:MAX_WORDS]


def _word_lists() -> list[list[str]]:
    d = seed_dispatch()
    real = [w for clause in words(f"{d.headline}\n\n{d.body}") for w in clause]
    rng = random.Random(9)
    pool = real + ODD + ["guerre", "Guerres", "bombardements", "économie", "gol", "golpe", "football"]
    lists = [real, real[:MAX_WORDS], []]
    lists += [[rng.choice(pool) for _ in range(rng.choice([1, 5, 149, 150, 151, 400]))] for _ in range(300)]
    lists += [["-"] * 200 + real, ["\u0301"] * 149 + ["a-b"] * 3]  # words that fold to no token or to two
    return lists


@pytest.mark.parametrize("seen_max", [1 << 17, 5])  # 5: the word table is dropped and refilled all the time
def test_cue_hits_match_the_reference(monkeypatch: pytest.MonkeyPatch, seen_max: int) -> None:
    monkeypatch.setattr(topic_cues, "SEEN_MAX", seen_max)
    monkeypatch.setattr(topic_cues, "_SEEN", {})
    for ws in _word_lists():
        for language in ("fr", "en", "es", "ru", None):
            assert cue_hits(ws, language) == reference_cue_hits(ws, language)
            toks = reference_folded(ws)
            assert cue_hits(toks, language, folded=True) == reference_cue_hits(toks, language, folded=True)
            assert cue_hits(iter(ws), language) == reference_cue_hits(ws, language)


def test_folded_words_match_the_reference() -> None:
    for ws in _word_lists():
        assert folded_words(ws) == reference_folded(ws)
        assert folded_words(iter(ws)) == reference_folded(ws)
