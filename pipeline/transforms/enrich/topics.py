"""Topics: words + language + feed categories in, top-level IPTC Media Topics with scores out (multi-label).

Transparent by construction: a topic's score grows with the number of words in the text that match its per-language
cue stems (``topic_lexicons.py``), ``hits / (hits + HALF)``, and a feed category that names the topic adds
``CATEGORY_BONUS``.  Topics at or above ``MIN_SCORE`` are kept, best first, at most ``MAX_TOPICS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.model import Topic
from pipeline.transforms.enrich.gazetteer import fold
from pipeline.transforms.enrich.topic_lexicons import CATEGORY_CUES, LEXICONS, TOPICS

HALF = 6.0  # hits for a score of 0.5 from the text alone
CATEGORY_BONUS = 0.5
MIN_SCORE = 0.3
MAX_TOPICS = 3
EXACT_MAX_LEN = 3  # stems this short match whole words only ("gol" must not match "golpe")
MAX_STEM = 14


def has_lexicon(language: str | None) -> bool:
    return language in _INDEX


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


_INDEX = _build_index()


def _topics_of(word: str, index: dict[str, tuple[str, ...]]) -> set[str]:
    found = set(index.get(word, ()))
    for size in range(EXACT_MAX_LEN + 1, min(len(word), MAX_STEM) + 1):
        found.update(index.get(word[:size], ()))
    return found


def classify(words: Iterable[str], language: str | None, categories: Sequence[str] = ()) -> tuple[Topic, ...]:
    scores: dict[str, float] = {}
    index = _INDEX.get(language or "")
    if index:
        hits: Counter[str] = Counter()
        for word, n in Counter(words).items():
            for code in _topics_of(fold(word), index):
                hits[code] += n
        scores = {code: h / (h + HALF) for code, h in hits.items()}
    for cat in categories:
        key = fold(cat)
        for cue, code in CATEGORY_CUES.items():
            if cue in key:
                scores[code] = min(1.0, scores.get(code, 0.0) + CATEGORY_BONUS)
                break
    kept = sorted((c for c, s in scores.items() if s >= MIN_SCORE), key=lambda c: (-scores[c], c))[
        :MAX_TOPICS
    ]
    return tuple(Topic(c, TOPICS[c], round(scores[c], 3)) for c in kept)
