"""The NER models trained in train/ner/ and shipped in pipeline/data/ner/, measured on held-out public news gold.

Gold: the news half of Universal NER's Parallel-UD sets (``uner_{lang}_pud_news.iob2``: 215 documents, 500
sentences each; text CC BY-SA 3.0; written by ``python -m train.ner.fixtures``).  These sentences are never trained or
tuned on (train/ner/sources.py marks them ``heldout``).  Entity-level exact-span P/R/F1 over PER/LOC/ORG, on the raw
model output and after the stage's post-processing (``mention_types``, here without the gazetteer's evidence so the
test does not pay its load; the stage with the gazetteer scores a little higher).  The floors sit just under the values measured
when the models were built (train/ner/MODEL_CARD.md); the issue's goal (0.75) is printed next to them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.model import Dispatch
from pipeline.transforms.enrich import Enricher, models
from pipeline.transforms.enrich.fallback import FALLBACK_NOTE

from .conftest import FIXTURES
from .ner_scoring import SCORED, load_uner, predict_spans, score

GOAL = 0.75
# language -> post-processed F1 floor on its PUD news half (measured values in train/ner/MODEL_CARD.md)
FLOORS = {"pt": 0.63, "de": 0.40}  # measured: pt 0.656 (raw 0.645), de 0.432 (raw 0.440)


def news(item: str, text: str, lang: str) -> Dispatch:
    """A dispatch with ``text`` as its body and ``lang`` as the feed's language hint."""
    return Dispatch(
        id=item,
        uri=None,
        guid=None,
        headline="",
        body=text,
        feed_url="https://example.invalid/f",
        dateline=None,
        authors=(),
        agency=None,
        language_hint=lang,
    )


@pytest.fixture(scope="module")
def trained() -> dict:
    return {lang: models.load_ner(lang) for lang in FLOORS}


@pytest.mark.parametrize("lang", sorted(FLOORS))
def test_trained_ner_f1_on_pud_news(lang: str, trained: dict) -> None:
    gold = load_uner(FIXTURES / f"uner_{lang}_pud_news.iob2")
    assert len(gold) == 215  # every news document parsed
    texts, golds = [t for t, _ in gold], [g for _, g in gold]
    nlp, labels = trained[lang], models.MODELS[lang].labels
    raw = score(golds, predict_spans(nlp, labels, texts, post_process=False))
    post = score(golds, predict_spans(nlp, labels, texts, post_process=True))
    n = Counter(s[2] for g in golds for s in g)
    print(f"\nUNER {lang}-PUD news, {len(gold)} documents, gold mentions {dict(n)} (goal F1 {GOAL})")
    for label in [*SCORED, "ALL"]:
        print(
            f"  {label:4} raw P/R/F1 {raw[label][0]:.3f}/{raw[label][1]:.3f}/{raw[label][2]:.3f}"
            f"   post-processed {post[label][0]:.3f}/{post[label][1]:.3f}/{post[label][2]:.3f}"
        )
    assert post["ALL"][2] >= FLOORS[lang]


def test_trained_models_replace_the_gazetteer_fallback(enricher: Enricher) -> None:
    """A language with a shipped model is served by it: no fallback note, and people are found (the gazetteer
    fallback never finds any) in the first 20 PUD news documents run through the whole enricher."""
    e = Enricher(enricher.langid, enricher.gazetteer)
    for lang in FLOORS:
        docs = [
            news(f"{lang}{i}", text, lang)
            for i, (text, _) in enumerate(load_uner(FIXTURES / f"uner_{lang}_pud_news.iob2")[:20])
        ]
        results = e.enrich_batch(docs)
        assert all(r.language == lang for r in results)
        assert not any(FALLBACK_NOTE.format(lang=lang) in r.errors for r in results)
        people = [x.text for r in results for x in r.entities if x.type == "PERSON"]
        print(f"\n{lang}: {len(people)} PERSON entities in 20 documents: {people[:8]}")
        assert (
            len(people) >= 5
        )  # measured: pt 14, de 8 (some wrong: "Machbarkeitsstudie"); the fallback finds 0


VARIANTS = FIXTURES.parent / "cluster" / "variants"


@pytest.mark.parametrize("lang", ["es", "it"])
def test_transfer_models_find_the_people_of_spanish_and_italian_news(lang: str, enricher: Enricher) -> None:
    """Spanish and Italian have transfer models (trained on Portuguese gold in their function words, no gold of
    their own: train/ner/MODEL_CARD.md).  The seed story and the Kyiv power story as written in the language (the
    cluster evaluation's authored variants) come out with their people; the gazetteer fallback finds none."""
    e = Enricher(enricher.langid, enricher.gazetteer)
    people = {}
    for story in ("seed", "kyiv"):
        text = (VARIANTS / f"{story}-{lang}.txt").read_text(encoding="utf-8")
        (result,) = e.enrich_batch([news(f"{story}-{lang}", text, lang)])
        assert result.language == lang
        assert FALLBACK_NOTE.format(lang=lang) not in result.errors
        people[story] = [x.text for x in result.entities if x.type == "PERSON"]
    print(f"\n{lang}: {people}")
    for name in ("Putin", "Zelensk", "Lukashenko"):  # as the seed variants spell them in es and it
        assert any(name in p for p in people["seed"]), (name, people["seed"])
    assert any("Klitschko" in p for p in people["kyiv"]), people["kyiv"]
