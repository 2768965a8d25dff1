"""English NER measured against a public gold set: entity-level precision/recall/F1 for PER, LOC and ORG.

Gold: the first three documents of WikiGold (CC-BY 4.0, see the fixture header; CoNLL-2003's Reuters text cannot be
shipped in a repository).  A mention counts when its span and type both match exactly.  MISC is not scored (the
OntoNotes-trained English model has no MISC class; NORP/EVENT/... map to it loosely).  Scored after the stage's
mention-level post-processing (punctuation stripping, junk removal, evidence-based retyping) and, for comparison,
on the raw model output.
"""

from __future__ import annotations

from collections import Counter

from pipeline.transforms.enrich import Enricher
from pipeline.transforms.enrich.entities import RawSpan, clean_span, evidence_type
from pipeline.transforms.enrich.models import MODELS

from .conftest import FIXTURES

SCORED = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
THRESHOLD = 0.58  # measured 0.605 here (docs/enrich.md); the goal of 0.80 is not met by this model


def load_gold(path=FIXTURES / "wikigold_sample.txt") -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Documents as (text, {(start, end, TYPE)}): tokens joined by single spaces, IOB1 runs as entities."""
    docs, tokens = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line == "-DOCSTART-":
            if tokens:
                docs.append(tokens)
            tokens = []
            continue
        tokens.extend(line.split(" "))
    docs.append(tokens)
    out = []
    for toks in docs:
        text, spans, pos, current = "", set(), 0, None
        for tok in toks:
            word, _, tag = tok.partition("|")
            start = pos
            text += ("" if not text else " ") + word
            start = len(text) - len(word)
            pos = len(text)
            if tag and current and current[2] == tag:
                current = (current[0], pos, tag)
            else:
                if current:
                    spans.add(current)
                current = (start, pos, tag) if tag else None
        if current:
            spans.add(current)
        out.append((text, {s for s in spans if s[2] in SCORED}))
    return out


def score(gold: list[set], predicted: list[set]) -> dict[str, tuple[float, float, float]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted, strict=True):
        for s in p:
            (tp if s in g else fp)[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    result = {}
    for label in [*SCORED, "ALL"]:
        t = sum(tp.values()) if label == "ALL" else tp[label]
        f_p = sum(fp.values()) if label == "ALL" else fp[label]
        f_n = sum(fn.values()) if label == "ALL" else fn[label]
        prec = t / (t + f_p) if t + f_p else 0.0
        rec = t / (t + f_n) if t + f_n else 0.0
        result[label] = (prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return result


def predict(enricher: Enricher, texts: list[str], post_process: bool) -> list[set]:
    nlp = enricher._model("en")
    labels = MODELS["en"].labels
    back = {v: k for k, v in SCORED.items()}
    out = []
    for text, doc in zip(texts, nlp.pipe(texts), strict=True):
        found = set()
        for ent in doc.ents:
            if ent.label_ not in labels:
                continue
            span = RawSpan(ent.text, labels[ent.label_], ent.start_char, ent.end_char)
            if post_process:
                span = clean_span(span)
                if span is None:
                    continue
                span = RawSpan(
                    span.text, evidence_type(span, text, None, enricher.gazetteer), span.start, span.end
                )
            if span.type in back:
                found.add((span.start, span.end, back[span.type]))
        out.append(found)
    return out


def test_english_ner_f1_on_wikigold(enricher: Enricher) -> None:
    gold = load_gold()
    texts = [t for t, _ in gold]
    raw = score([g for _, g in gold], predict(enricher, texts, post_process=False))
    post = score([g for _, g in gold], predict(enricher, texts, post_process=True))
    n = Counter(s[2] for _, g in gold for s in g)
    print(f"\nWikiGold sample, gold mentions {dict(n)}")
    for label in [*SCORED, "ALL"]:
        print(
            f"  {label:4} raw P/R/F1 {raw[label][0]:.3f}/{raw[label][1]:.3f}/{raw[label][2]:.3f}"
            f"   post-processed {post[label][0]:.3f}/{post[label][1]:.3f}/{post[label][2]:.3f}"
        )
    assert post["ALL"][2] >= THRESHOLD
