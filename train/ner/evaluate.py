"""Entity-level exact-span precision/recall/F1 over PER/LOC/ORG, scored on raw text the way the pipeline sees it.

A gold sentence is rebuilt as text from its words and spaces; the model tokenizes that text itself; a predicted
entity counts when its character span and type match a gold entity exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from train.ner.data import KEEP, Sentence

Span = tuple[int, int, str]


def gold_text_spans(sentence: Sentence) -> tuple[str, set[Span]]:
    words, spaces, tags = sentence
    text, spans, current = "", set(), None
    for word, space, tag in zip(words, spaces, tags, strict=True):
        start = len(text)
        text += word + (" " if space else "")
        end = start + len(word)
        if tag.startswith("I-") and current and current[2] == tag[2:]:
            current = (current[0], end, current[2])
        else:
            if current:
                spans.add(current)
            current = (start, end, tag[2:]) if tag.startswith("B-") else None
    if current:
        spans.add(current)
    return text, spans


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(
    gold: Iterable[tuple[str, set[Span]]], predict: Callable[[list[str]], list[set[Span]]]
) -> dict[str, tuple[float, float, float]]:
    gold = list(gold)
    predicted = predict([t for t, _ in gold])
    tp, fp, fn = Counter(), Counter(), Counter()
    for (_, g), p in zip(gold, predicted, strict=True):
        for s in p:
            (tp if s in g else fp)[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    out = {label: prf(tp[label], fp[label], fn[label]) for label in sorted(KEEP)}
    out["ALL"] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return out


def spacy_predictor(nlp, labels: dict[str, str] | None = None) -> Callable[[list[str]], list[set[Span]]]:
    """Raw model spans; ``labels`` maps model labels to PER/LOC/ORG (others dropped)."""
    labels = labels or {k: k for k in KEEP}

    def predict(texts: list[str]) -> list[set[Span]]:
        return [
            {(e.start_char, e.end_char, labels[e.label_]) for e in doc.ents if e.label_ in labels}
            for doc in nlp.pipe(texts, batch_size=256)
        ]

    return predict
