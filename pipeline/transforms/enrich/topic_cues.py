"""Cue-stem matching: words + language in, hits per IPTC topic out (the lexicons of ``topic_lexicons.py`` applied).

A stem matches a word that starts with it after folding (``bombard`` matches ``bombardements``); stems of at most
``EXACT_MAX_LEN`` characters match whole words only.  Used as the fallback scorer for topics and languages the
trained model does not cover, and as language-independent features of that model (``topic_features``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from pipeline.transforms.enrich.gazetteer import fold
from pipeline.transforms.enrich.topic_lexicons import LEXICONS

EXACT_MAX_LEN = 3  # stems this short match whole words only ("gol" must not match "golpe")
MAX_STEM = 14


def _build_index() -> dict[str, dict[str, tuple[str, ...]]]:
    """language -> stem -> topic codes: one dictionary probe per word prefix instead of one per topic."""
    index: dict[str, dict[str, set[str]]] = {}
    for code, by_lang in LEXICONS.items():
        for lang, stems in by_lang.items():
            for stem in stems:
                index.setdefault(lang, {}).setdefault(stem, set()).add(code)
    return {
        lang: {stem: tuple(sorted(codes)) for stem, codes in stems.items()} for lang, stems in index.items()
    }


INDEX = _build_index()


def has_cues(language: str | None) -> bool:
    return language in INDEX


@lru_cache(maxsize=1 << 16)
def fold_word(word: str) -> tuple[str, ...]:
    """A word folded (casefold, accents removed) and split where ``fold`` splits it ("Jean-Pierre" -> jean, pierre);
    cached per worker, since news vocabulary repeats."""
    return tuple(fold(word).split())


@lru_cache(maxsize=1 << 16)
def _topics_of(word: str, language: str) -> frozenset[str]:
    index = INDEX[language]
    found = set(index.get(word, ()))
    for size in range(EXACT_MAX_LEN + 1, min(len(word), MAX_STEM) + 1):
        found.update(index.get(word[:size], ()))
    return frozenset(found)


@lru_cache(maxsize=1 << 16)
def _word_topics(word: str, language: str) -> tuple[str, ...]:
    """The topics of each folded token of ``word``, one entry per matching token: one cache probe per word."""
    return tuple(code for tok in fold_word(word) for code in _topics_of(tok, language))


# (language, folded) -> (word -> its topic codes, the words with any): every word a worker has seen, so that a text's
# new words are one set difference away and only its topical words are looped over; dropped when it grows too large
_SEEN: dict[tuple[str, bool], tuple[dict[str, tuple[str, ...]], set[str]]] = {}
SEEN_MAX = 1 << 17


def cue_hits(words: Iterable[str], language: str | None, folded: bool = False) -> Counter[str]:
    """Topic code -> number of words matching its cue stems (empty for languages without a lexicon)."""
    hits: Counter[str] = Counter()
    if language in INDEX:
        counts = Counter(words)
        state = _SEEN.get((language, folded))
        if state is None or len(state[0]) > SEEN_MAX:
            state = _SEEN[(language, folded)] = ({}, set())
        known, topical = state
        new = set(counts).difference(known)  # iterates this text's words, not every word known
        if new:
            topics_of = _topics_of if folded else _word_topics
            for word in new:
                codes = tuple(topics_of(word, language))
                if codes:  # added before ``known``: a thread that finds the word known finds it here too
                    topical.add(word)
                known[word] = codes
        for word, n in counts.items():
            if word in topical:
                for code in known[word]:
                    hits[code] += n
    return hits
