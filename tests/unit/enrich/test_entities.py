"""Span cleaning and evidence typing, one rule at a time (pure functions; the gazetteer comes from the session)."""

from __future__ import annotations

from pipeline.transforms.enrich import Enricher
from pipeline.transforms.enrich.entities import RawSpan, clean_span, evidence_type, split_unbalanced


def _span(text: str, whole: str, etype: str = "PERSON") -> RawSpan:
    start = whole.index(text)
    return RawSpan(text, etype, start, start + len(text))  # type: ignore[arg-type]


def test_initialism_keeps_its_final_period_other_spans_lose_punctuation() -> None:
    whole = "Police in B.C. said so. Reuters) reported it."
    bc = clean_span(_span("B.C.", whole, "LOCATION"), whole)
    assert bc is not None and bc.text == "B.C." and whole[bc.start : bc.end] == "B.C."
    reuters = clean_span(_span("Reuters)", whole, "ORGANIZATION"), whole)
    assert reuters is not None and reuters.text == "Reuters"


def test_honorific_is_not_part_of_a_person_name() -> None:
    whole = "Ms Pugh said. M. Macron a dit."
    pugh = clean_span(_span("Ms Pugh", whole), whole)
    assert pugh is not None and (pugh.text, whole[pugh.start : pugh.end]) == ("Pugh", "Pugh")
    macron = clean_span(_span("M. Macron", whole), whole)
    assert macron is not None and macron.text == "Macron"
    # only for people: an organisation that starts like a title keeps it
    org = clean_span(
        _span("Dr Martens", "Dr Martens shares fell.", "ORGANIZATION"), "Dr Martens shares fell."
    )
    assert org is not None and org.text == "Dr Martens"


def test_sentence_initial_the_is_dropped_but_not_inside_a_sentence_or_before_one_word() -> None:
    whole = "The Ontario Independent Police Review began. He flew to The Hague. The Hague agreed."
    review = clean_span(_span("The Ontario Independent Police Review", whole, "ORGANIZATION"), whole)
    assert review is not None and review.text == "Ontario Independent Police Review"
    at = whole.rindex("The Hague")  # sentence-initial, but only one word would be left
    hague = clean_span(RawSpan("The Hague", "LOCATION", at, at + len("The Hague")), whole)
    assert hague is not None and hague.text == "The Hague"  # one word left: the article is part of the name


def test_span_run_across_an_opening_parenthesis_is_split() -> None:
    whole = "the Real Estate Council of Ontario (RECO), which"
    parts = split_unbalanced(_span("Real Estate Council of Ontario (RECO", whole, "ORGANIZATION"))
    cleaned = [clean_span(p, whole) for p in parts]
    assert [(c.text, whole[c.start : c.end]) for c in cleaned if c] == [
        ("Real Estate Council of Ontario", "Real Estate Council of Ontario"),
        ("RECO", "RECO"),
    ]
    assert split_unbalanced(_span("Interfax (Russia)", "Interfax (Russia) said", "ORGANIZATION")) == [
        _span("Interfax (Russia)", "Interfax (Russia) said", "ORGANIZATION")
    ]


def test_known_place_after_a_place_preposition_is_a_location(enricher: Enricher) -> None:
    gaz = enricher.gazetteer
    whole = "The concert was held in Glasgow on Monday. Glasgow said he would return."
    first = _span("Glasgow", whole)
    assert evidence_type(first, whole, None, gaz) == "LOCATION"
    second = RawSpan("Glasgow", "PERSON", whole.rindex("Glasgow"), whole.rindex("Glasgow") + 7)
    assert (
        evidence_type(second, whole, None, gaz) == "PERSON"
    )  # no place preposition: the model's type stands
    unknown = "It was built in Zzyzxqville by hand."
    assert evidence_type(_span("Zzyzxqville", unknown), unknown, None, gaz) == "PERSON"
