"""Gazetteer NER, the clearly labelled fallback for languages without a registry NER model.

In: text and a ``Gazetteer``.  Out: ``RawSpan``s for capitalised word runs that are a known country, a city of at least
``MIN_CITY_POPULATION`` people, a news agency or a seat of power.  It finds places and a few organisations, never people,
so every record enriched this way carries the note ``FALLBACK_NOTE`` in ``Enrichment.errors``.
"""

from __future__ import annotations

import re

from pipeline.transforms.enrich import lexicons
from pipeline.transforms.enrich.entities import RawSpan
from pipeline.transforms.enrich.gazetteer import Gazetteer

MIN_CITY_POPULATION = 100_000
FALLBACK_NOTE = (
    "ner: no model for '{lang}'; gazetteer fallback (places and known organisations only, no people)"
)

_CAP = r"[^\W\d_a-zß-ÿ][\w'’-]*"
_LINK = r"(?:\s+(?:de|del|da|do|dos|di|von|van|der|la|le|du|des|of|upon)\s+|\s+)"
CANDIDATE = re.compile(rf"(?<![\w'’-]){_CAP}(?:{_LINK}{_CAP})*")
MAX_WORDS = 4


def find_spans(text: str, gazetteer: Gazetteer) -> list[RawSpan]:
    spans: list[RawSpan] = []
    for m in CANDIDATE.finditer(text):
        words = [(w.start(), w.end()) for w in re.finditer(r"\S+", m.group(0))]
        # try the longest sub-run first so "Buenos Aires" wins over its parts
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + MAX_WORDS), i, -1):
                start, end = m.start() + words[i][0], m.start() + words[j - 1][1]
                name = text[start:end]
                kind = _kind(name, gazetteer)
                if kind:
                    spans.append(RawSpan(name, kind, start, end))  # type: ignore[arg-type]
                    i = j
                    break
            else:
                i += 1
    return spans


def _kind(name: str, gazetteer: Gazetteer) -> str | None:
    key = name.casefold()
    if key in lexicons.NEWS_AGENCIES or key in lexicons.SEATS_OF_POWER:
        return "ORGANIZATION"
    if gazetteer.is_known_place(name, MIN_CITY_POPULATION):
        return "LOCATION"
    return None


def add_missed(spans: list[RawSpan], text: str, gazetteer: Gazetteer) -> list[RawSpan]:
    """``spans`` plus the gazetteer's spans that overlap none of them, in text order: for the transfer models
    (models.ModelSpec.gazetteer_complement), which miss places the target language names its own way."""
    extra = [
        f for f in find_spans(text, gazetteer) if not any(f.start < s.end and s.start < f.end for s in spans)
    ]
    return sorted([*spans, *extra], key=lambda s: (s.start, s.end)) if extra else spans
