"""A shipped model against the gazetteer fallback it replaces, after the stage's post-processing, on the language's
held-out sets: ``python -m train.ner.versus_fallback es it`` (numbers in MODEL_CARD.md).

Per held-out sentence: the model's raw spans, the stage's spans (for a transfer model with the gazetteer's missed
places added, ``fallback.add_missed``; then ``mention_types`` with the gazetteer: what the enrich stage keeps), and the fallback's spans (``fallback.find_spans``, places and known organisations) after the same
post-processing.  Exact character spans and types, PER+LOC+ORG, micro-averaged P / R / F1.
"""

from __future__ import annotations

import sys

from pipeline.transforms.enrich import fallback, models
from pipeline.transforms.enrich.entities import RawSpan, mention_types
from pipeline.transforms.enrich.gazetteer import shared as shared_gazetteer
from train.ner.data import read
from train.ner.evaluate import Span, gold_text_spans, prf
from train.ner.sources import SOURCES

SHORT = {"PERSON": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG"}


def spans_of(raw: list[RawSpan]) -> set[Span]:
    return {(s.start, s.end, SHORT[s.type]) for s in raw if s.type in SHORT}


def micro(gold: list[set[Span]], predicted: list[set[Span]]) -> str:
    tp = sum(len(g & p) for g, p in zip(gold, predicted, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, predicted, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, predicted, strict=True))
    return " / ".join(f"{x:.3f}" for x in prf(tp, fp, fn))


def main(langs: list[str]) -> None:
    gazetteer = shared_gazetteer()
    for lang in langs:
        nlp, labels = models.load_ner(lang), models.MODELS[lang].labels
        for src in [s for s in SOURCES[lang] if s.role == "heldout"]:
            gold_sents = [gold_text_spans(s) for s in read(src)]
            texts, gold = [t for t, _ in gold_sents], [g for _, g in gold_sents]
            raw, post, back = [], [], []
            for text, doc in zip(texts, nlp.pipe(texts), strict=True):
                found = [
                    RawSpan(e.text, labels[e.label_], e.start_char, e.end_char)
                    for e in doc.ents
                    if e.label_ in labels
                ]
                raw.append(spans_of(found))
                if models.MODELS[lang].gazetteer_complement:  # as the stage does (enricher._ner_spans)
                    found = fallback.add_missed(found, text, gazetteer)
                post.append(spans_of(mention_types(found, text, None, gazetteer)))
                back.append(
                    spans_of(mention_types(fallback.find_spans(text, gazetteer), text, None, gazetteer))
                )
            print(
                f"{lang} | {src.name} ({len(texts)} sentences) | model raw {micro(gold, raw)} | "
                f"stage {micro(gold, post)} | gazetteer fallback {micro(gold, back)}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
