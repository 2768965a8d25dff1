"""Topics: words + language + feed categories in, top-level IPTC Media Topics with scores out (multi-label).

For en, fr, de, es, it and pt a trained classifier (``topic_model.py``; data, scores and sizes in
``train/topics/MODEL_CARD.md``) gives a calibrated probability per topic it knows.  The cue-stem lexicons
(``topic_lexicons.py``, score ``hits / (hits + HALF)``) stay where they measurably help: (1) a topic the model knows
but never saw training text for in this language (business, conflict, crime, disaster outside English) scores the
higher of the two; (2) topics the model does not know (education, environment, labour, religion, weather, ...) are
added as further topics but never lead, since letting them lead cost top-1 accuracy on held-out news; (3) other
languages get the lexicon alone.  A feed category that names a topic adds ``CATEGORY_BONUS`` (and lets it lead).
The lead topic is always kept, so every item with words gets a subject and a score (downstream can threshold); the
others are kept at or above ``MIN_SCORE``, best first, at most ``MAX_TOPICS`` in all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipeline.model import Topic
from pipeline.transforms.enrich.gazetteer import fold
from pipeline.transforms.enrich.topic_cues import cue_hits, has_cues
from pipeline.transforms.enrich.topic_lexicons import CATEGORY_CUES, TOPICS
from pipeline.transforms.enrich.topic_model import TopicModel, load_model

HALF = 6.0  # hits for a score of 0.5 from the text alone
CATEGORY_BONUS = 0.5
MIN_SCORE = 0.3
MAX_TOPICS = 3


def has_lexicon(language: str | None) -> bool:
    """True when topics come from the text for this language (the model or a cue lexicon), not categories alone."""
    return has_cues(language) or language in load_model().languages


def topic_scores(
    words: Iterable[str],
    language: str | None,
    categories: Sequence[str] = (),
    model: TopicModel | None = None,
) -> tuple[dict[str, float], frozenset[str]]:
    """(every scored topic: code -> score in [0, 1], the topics allowed to lead); ``classify`` makes the cut."""
    words = list(words)
    model = model or load_model()
    probs = model.probabilities(words, language) if language in model.languages else None
    lexicon = {code: h / (h + HALF) for code, h in cue_hits(words, language).items()}
    if probs is None:
        scores, lead = lexicon, set(lexicon)
    else:
        scores, lead = dict(probs), set(probs)
        local = model.local_codes.get(language or "", frozenset())
        for code, s in lexicon.items():
            if code not in local:
                scores[code] = max(scores.get(code, 0.0), s)
    for cat in categories:
        key = fold(cat)
        for cue, code in CATEGORY_CUES.items():
            if cue in key:
                scores[code] = min(1.0, scores.get(code, 0.0) + CATEGORY_BONUS)
                lead.add(code)
                break
    return scores, frozenset(lead)


def classify(
    words: Iterable[str],
    language: str | None,
    categories: Sequence[str] = (),
    model: TopicModel | None = None,
) -> tuple[Topic, ...]:
    scores, lead = topic_scores(words, language, categories, model)
    if not scores:
        return ()
    first = min(lead or scores, key=lambda c: (-scores[c], c))
    rest = sorted((c for c in scores if c != first and scores[c] >= MIN_SCORE), key=lambda c: (-scores[c], c))
    return tuple(Topic(c, TOPICS[c], round(scores[c], 3)) for c in [first, *rest][:MAX_TOPICS])
