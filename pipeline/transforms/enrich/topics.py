"""Topics: words + language + feed categories in, top-level IPTC Media Topics with scores out (multi-label).

Transparent by construction: a topic's score grows with the number of words in the text that match its per-language
cue stems (``topic_lexicons.py``), ``hits / (hits + HALF)``, and a feed category that names the topic adds
``CATEGORY_BONUS``.  Topics at or above ``MIN_SCORE`` are kept, best first, at most ``MAX_TOPICS``.
"""

from __future__ import annotations

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
    return any(language in by_lang for by_lang in LEXICONS.values())


def _matches(word: str, stems: frozenset[str]) -> bool:
    if word in stems:
        return True
    return any(word[:size] in stems for size in range(EXACT_MAX_LEN + 1, min(len(word), MAX_STEM) + 1))


def classify(words: Iterable[str], language: str | None, categories: Sequence[str] = ()) -> tuple[Topic, ...]:
    folded = [fold(w) for w in words]
    scores: dict[str, float] = {}
    for code, by_lang in LEXICONS.items():
        stems = by_lang.get(language or "")
        if not stems:
            continue
        hits = sum(1 for w in folded if _matches(w, stems))
        if hits:
            scores[code] = hits / (hits + HALF)
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
