"""Entity post-processing: raw model spans in, clean typed entities out.

In: the spans a model (or the gazetteer fallback) found in ``headline + "\\n\\n" + body``, the dateline and the byline.
Out: ``Entity`` records, one per real-world entity: punctuation stripped (``Reuters)``), junk dropped, fragments folded
into the full name (``Vladimir`` / ``Poutine`` -> ``Vladimir Poutine``), types corrected only on evidence (dateline city
-> LOCATION, news agency / seat of power / ministry -> ORGANIZATION, majority vote across mentions), authors removed,
with mention count, first offset and a salience score, most salient first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.model import Author, Dateline, Entity, EntityType
from pipeline.transforms.enrich import lexicons
from pipeline.transforms.enrich.gazetteer import Gazetteer, fold

STRIP_CHARS = " \t\r\n\"'«»“”„‘’‹›()[]{}.,;:!?–—-/\\*_|"
# Leading words that are never part of the name (elided French articles; a lowercase English article the
# OntoNotes-trained model includes, "the Atlantic City Hospital") and trailing possessives ("Atlantic City 's").
ELISIONS = ("l'", "d'", "l’", "d’")
ARTICLE = "the "
POSSESSIVES = (" 's", "'s", " ’s", "’s")
# Titles before a person's name are not part of it (CoNLL and UNER annotate "Mr Osborne" as "Osborne").
HONORIFICS = ("Mr ", "Mr. ", "Mrs ", "Mrs. ", "Ms ", "Ms. ", "Dr ", "Dr. ", "M. ", "Mme ", "Mlle ")
INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")  # "U.S" of "U.S.", "B.C" of "B.C.", "D.C"
PLACE_EVIDENCE_POPULATION = 15_000  # a gazetteer city this size or larger counts as evidence (cities15000)
NOT_IN_TEXT = -1  # first_offset of an entity known from metadata only (dateline agency or city)


@dataclass(frozen=True)
class RawSpan:
    text: str
    type: EntityType
    start: int  # character offsets in the analysed text
    end: int


def clean_span(span: RawSpan, text: str | None = None) -> RawSpan | None:
    """Strip punctuation, elided/lowercase articles, honorifics and possessives from the ends; None when nothing
    entity-like is left.  An initialism keeps its final period (``U.S.``, ``B.C.``).  With the analysed ``text``, a
    capitalised ``The`` is dropped too when the span opens a sentence (its capital is the sentence's, not the name's)
    and at least two words remain ("The Hague" keeps its article)."""
    original = span.text
    name, start = span.text, span.start
    while True:
        stripped = name.lstrip(STRIP_CHARS)
        start += len(name) - len(stripped)
        name = stripped.rstrip(STRIP_CHARS)
        low = name.casefold()
        lead = next((e for e in ELISIONS if low.startswith(e)), None) or (
            ARTICLE if name.startswith(ARTICLE) else None  # case-sensitive: "The Hague" keeps its article
        )
        if lead is None and span.type == "PERSON":
            lead = next((h for h in HONORIFICS if name.startswith(h)), None)
        if lead is None and text is not None and name.startswith("The ") and name.count(" ") >= 2:
            lead = "The " if _opens_sentence(text, start) else None
        tail = next((p for p in POSSESSIVES if name.endswith(p)), None)
        if lead and len(name) > len(lead) + 1:
            name, start = name[len(lead) :], start + len(lead)
        elif tail and len(name) > len(tail) + 1:
            name = name[: -len(tail)]
        else:
            break
    after = start - span.start + len(name)
    if INITIALISM.fullmatch(name) and original[after : after + 1] == ".":
        name += "."
    if len(name) < 2 or not any(ch.isupper() for ch in name) or name.casefold() in lexicons.JUNK_SPANS:
        return None
    return RawSpan(name, span.type, start, start + len(name))


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'“‘«")
    return not before or before[-1] in ".!?\n"


def split_unbalanced(span: RawSpan) -> list[RawSpan]:
    """``Real Estate Council of Ontario (RECO`` -> the name and its abbreviation, same type (the model ran the span
    across an opening parenthesis); other spans unchanged."""
    cut = span.text.find("(")
    if cut <= 0 or ")" in span.text:
        return [span]
    head = RawSpan(span.text[:cut], span.type, span.start, span.start + cut)
    tail = RawSpan(span.text[cut + 1 :], span.type, span.start + cut + 1, span.end)
    return [head, tail]


def evidence_type(
    span: RawSpan, text: str, dateline: Dateline | None, gazetteer: Gazetteer | None
) -> EntityType:
    """The span's type after evidence-backed corrections; the model's type when there is no evidence."""
    key = span.text.casefold()
    if key in lexicons.NEWS_AGENCIES or key in lexicons.SEATS_OF_POWER:
        return "ORGANIZATION"
    if span.text.split(" ", 1)[0].casefold() in lexicons.ORG_HEADS:
        return "ORGANIZATION"
    if dateline is not None and fold(span.text) in {
        fold(c) for c in (dateline.city, dateline.city_normalized) if c
    }:
        return "LOCATION"
    before = text[max(0, span.start - 40) : span.start].casefold().replace("'", " ").split()
    if any(w in lexicons.ORG_CONTEXT_CUES for w in before[-5:]) and not (
        gazetteer and gazetteer.is_known_place(span.text)
    ):
        return "ORGANIZATION"
    if span.type in ("PERSON", "MISC") and gazetteer is not None and gazetteer.country(span.text) is not None:
        return "LOCATION"
    if (
        span.type == "PERSON"
        and before
        and before[-1] in lexicons.LOCATION_PREPOSITIONS
        and gazetteer is not None
        and gazetteer.is_known_place(span.text, min_population=PLACE_EVIDENCE_POPULATION)
    ):
        return "LOCATION"  # "in Glasgow": a known place right after a place preposition
    return span.type


def _fragment_owner(tokens: tuple[str, ...], persons: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The single longer PERSON name this mention is the first or last part of; None if none or ambiguous."""
    owners = {
        p
        for p in persons
        if len(p) > len(tokens) and (p[: len(tokens)] == tokens or p[-len(tokens) :] == tokens)
    }
    return owners.pop() if len(owners) == 1 else (() if owners else None)


def _toks(s: str) -> tuple[str, ...]:
    return tuple(fold(s).split(" "))


def group_mentions(
    spans: Iterable[RawSpan],
    text: str,
    dateline: Dateline | None = None,
    gazetteer: Gazetteer | None = None,
) -> dict[tuple[str, ...], list[RawSpan]]:
    """Cleaned, evidence-typed mentions grouped by the entity they name (fragments folded into the full name)."""
    cleaned = [c for s in spans for part in split_unbalanced(s) if (c := clean_span(part, text)) is not None]
    typed = [RawSpan(s.text, evidence_type(s, text, dateline, gazetteer), s.start, s.end) for s in cleaned]
    persons = sorted({_toks(s.text) for s in typed if s.type == "PERSON" and len(_toks(s.text)) > 1}, key=len)
    groups: dict[tuple[str, ...], list[RawSpan]] = {}
    for s in typed:
        key = _toks(s.text)
        owner = _fragment_owner(key, persons) if len(key) < 3 else None
        if owner == ():
            continue  # a fragment of several people ("Vladimir" with two Vladimirs): not attributable, dropped
        if owner:  # the first or last part of a person's full name in the same story names that person
            s = RawSpan(s.text, "PERSON", s.start, s.end)
        groups.setdefault(owner or key, []).append(s)
    return groups


def mention_types(
    spans: Iterable[RawSpan],
    text: str,
    dateline: Dateline | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[RawSpan]:
    """Every in-text mention with the type its entity ends up with (what ``build_entities`` reports per entity)."""
    out = []
    for mentions in group_mentions(spans, text, dateline, gazetteer).values():
        etype = _vote(Counter(m.type for m in mentions), mentions, gazetteer)
        out.extend(RawSpan(m.text, etype, m.start, m.end) for m in mentions)
    return sorted(out, key=lambda m: m.start)


def build_entities(
    spans: Iterable[RawSpan],
    text: str,
    headline_len: int,
    dateline: Dateline | None = None,
    authors: Sequence[Author] = (),
    gazetteer: Gazetteer | None = None,
) -> tuple[Entity, ...]:
    toks = _toks
    groups = group_mentions(spans, text, dateline, gazetteer)

    author_keys = {toks(a.name) for a in authors}
    metadata: list[RawSpan] = []
    if dateline is not None:
        if dateline.agency and toks(dateline.agency) not in groups:
            metadata.append(RawSpan(dateline.agency, "ORGANIZATION", NOT_IN_TEXT, NOT_IN_TEXT))
        city = dateline.city_normalized or dateline.city
        if city and toks(city) not in groups:
            metadata.append(RawSpan(city, "LOCATION", NOT_IN_TEXT, NOT_IN_TEXT))
    for m in metadata:
        groups[toks(m.text)] = [m]

    body_len = max(1, len(text))
    max_count = max((len(g) for g in groups.values()), default=1)
    out: list[Entity] = []
    for key, mentions in groups.items():
        votes = Counter(m.type for m in mentions)
        etype = _vote(votes, mentions, gazetteer)
        if etype == "PERSON" and key in author_keys:
            continue  # bylines are authors, not entities of the story
        in_text = [m for m in mentions if m.start >= 0]
        first = min((m.start for m in in_text), default=NOT_IN_TEXT)
        names = Counter(m.text for m in mentions)
        canonical = max(names, key=lambda n: (len(n.split()), names[n], -_first_start(mentions, n)))
        position = 0.0 if first < 0 else 1.0 - first / body_len
        salience = (
            0.6 * len(in_text) / max_count + 0.3 * position + (0.1 if 0 <= first < headline_len else 0.0)
        )
        out.append(Entity(canonical, etype, max(1, len(in_text)), first, round(min(1.0, salience), 4)))
    out.sort(key=lambda e: (-e.salience, e.first_offset, e.text))
    return tuple(out)


def _first_start(mentions: list[RawSpan], name: str) -> int:
    return min(m.start for m in mentions if m.text == name)


def _vote(votes: Counter[EntityType], mentions: list[RawSpan], gazetteer: Gazetteer | None) -> EntityType:
    """Majority type over mentions (each already evidence-corrected); a tie goes to LOCATION for a known place."""
    best = max(votes.values())
    tied = [t for t, n in votes.items() if n == best]
    if len(tied) == 1:
        return tied[0]
    for preferred in ("LOCATION", "ORGANIZATION", "PERSON", "MISC"):
        if preferred in tied and (
            preferred != "LOCATION" or (gazetteer and gazetteer.is_known_place(mentions[0].text))
        ):
            return preferred
    return tied[0]
