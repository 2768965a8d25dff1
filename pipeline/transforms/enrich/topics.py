"""Topics: words + language + feed categories in, top-level IPTC Media Topics with scores out (multi-label).

For en, fr, de, es, it and pt a trained classifier (``topic_model.py``; data, scores and sizes in
``train/topics/MODEL_CARD.md``) gives a calibrated probability per topic it knows.  Topics the model was not trained
on (education, environment, labour, religion, weather, ...) and other languages keep the cue-stem lexicons
(``topic_lexicons.py``): ``hits / (hits + HALF)``.  A feed category that names a topic adds ``CATEGORY_BONUS``.
The best topic is always kept, so every item with words gets a subject and a score (downstream can threshold);
the others are kept at or above ``MIN_SCORE``, best first, at most ``MAX_TOPICS``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.model import Topic
from pipeline.transforms.enrich.gazetteer import fold
from pipeline.transforms.enrich.topic_lexicons import CATEGORY_CUES, LEXICONS, TOPICS
from pipeline.transforms.enrich.topic_model import TopicModel, load_model

HALF = 6.0  # hits for a score of 0.5 from the text alone
CATEGORY_BONUS = 0.5
MIN_SCORE = 0.3
MAX_TOPICS = 3
EXACT_MAX_LEN = 3  # stems this short match whole words only ("gol" must not match "golpe")
MAX_STEM = 14


def has_lexicon(language: str | None) -> bool:
    """True when topics come from the text for this language (the model or a cue lexicon), not categories alone."""
    return language in _INDEX or language in load_model().languages


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


def lexicon_hits(words: Iterable[str], language: str | None) -> Counter[str]:
    """Topic code -> number of words in the text matching its cue stems (empty for languages without a lexicon)."""
    hits: Counter[str] = Counter()
    index = _INDEX.get(language or "")
    if index:
        for word, n in Counter(words).items():
            for code in _topics_of(fold(word), index):
                hits[code] += n
    return hits


def topic_scores(
    words: Iterable[str], language: str | None, categories: Sequence[str] = (), model: TopicModel | None = None
) -> dict[str, float]:
    """Every scored topic (code -> score in [0, 1]) before the cut; ``classify`` keeps the best of them."""
    words = list(words)
    model = model or load_model()
    probs = model.probabilities(words) if language in model.languages else None
    scores: dict[str, float] = dict(probs or {})
    for code, h in lexicon_hits(words, language).items():
        if code not in scores:
            scores[code] = h / (h + HALF)
    for cat in categories:
        key = fold(cat)
        for cue, code in CATEGORY_CUES.items():
            if cue in key:
                scores[code] = min(1.0, scores.get(code, 0.0) + CATEGORY_BONUS)
                break
    return scores


def classify(
    words: Iterable[str], language: str | None, categories: Sequence[str] = (), model: TopicModel | None = None
) -> tuple[Topic, ...]:
    scores = topic_scores(words, language, categories, model)
    ranked = sorted(scores, key=lambda c: (-scores[c], c))
    kept = ranked[:1] + [c for c in ranked[1:MAX_TOPICS] if scores[c] >= MIN_SCORE]
    return tuple(Topic(c, TOPICS[c], round(scores[c], 3)) for c in kept)
