"""One bad item never sinks the batch: it comes back with what could be filled and a note in ``errors``."""

from __future__ import annotations

from pipeline.model import Dispatch
from pipeline.transforms.enrich import Enricher
from pipeline.transforms.enrich.enricher import Enricher as CoreEnricher

from .conftest import seed_dispatch


class ExplodingNER:
    """Wraps a real spaCy pipeline and raises on texts that contain the trigger, as a broken model would."""

    def __init__(self, nlp, trigger: str = "BOOM"):
        self.nlp, self.trigger = nlp, trigger

    def _check(self, text: str) -> None:
        if self.trigger in text:
            raise RuntimeError("model exploded")

    def pipe(self, texts, batch_size: int = 32):
        texts = list(texts)
        for t in texts:
            self._check(t)
        return self.nlp.pipe(texts, batch_size=batch_size)

    def __call__(self, text: str):
        self._check(text)
        return self.nlp(text)


def _dispatch(i: str, headline: str, body: str, **kw) -> Dispatch:
    return Dispatch(id=i, uri=None, guid=None, headline=headline, body=body, feed_url="f", **kw)


def test_model_error_on_one_item_keeps_the_batch(enricher: Enricher) -> None:
    broken = CoreEnricher(
        enricher.langid,
        enricher.gazetteer,
        languages=("fr",),
        nlp={"fr": ExplodingNER(enricher._model("fr"))},
    )
    seed = seed_dispatch()
    bad = seed.replace(id="bad", headline="BOOM à Moscou")
    results = broken.enrich_batch([seed, bad, seed])
    assert len(results) == 3
    assert results[0] == results[2] and results[0].errors == ()
    assert {e.text for e in results[0].entities} >= {"Vladimir Poutine", "Kremlin"}
    failed = results[1]
    assert failed.language == "fr"
    assert failed.entities and {e.text for e in failed.entities} == {
        "Reuters",
        "Kyiv",
    }  # from the dateline only
    assert any(err.startswith("ner: RuntimeError: model exploded") for err in failed.errors)
    assert failed.keywords and failed.topics  # the rest was still filled


def test_unsupported_language_gets_the_labelled_fallback(enricher: Enricher) -> None:
    ru = _dispatch(
        "ru",
        "Путин прибыл в Минск",
        "Президент России Владимир Путин прибыл в Минск для переговоров с Александром Лукашенко. "
        "Встреча проходит на фоне войны на Украине, сообщает агентство Интерфакс.",
    )
    (result,) = enricher.enrich_batch([ru])
    assert result.language == "ru"
    assert any("no model for 'ru'; gazetteer fallback" in e for e in result.errors)
    assert "BY" in result.countries  # Минск, from GeoNames alternate names
    assert all(e.type != "PERSON" for e in result.entities)


def test_empty_and_odd_inputs_never_raise(enricher: Enricher) -> None:
    items = [
        _dispatch("empty", "", ""),
        _dispatch("digits", "2022", "12 345 678"),
        _dispatch("hint", "", "", language_hint="de-DE"),
        _dispatch("long", "Paris", "Paris " * 30_000),
    ]
    results = enricher.enrich_batch(items)
    assert len(results) == 4
    assert results[0].language is None and any(
        e.startswith("language: not detected") for e in results[0].errors
    )
    assert results[2].language == "de"
    assert any("ner: text cut" in e for e in results[3].errors)


def test_ner_off_fills_everything_but_entities_from_text(enricher: Enricher) -> None:
    no_ner = CoreEnricher(enricher.langid, enricher.gazetteer, ner=False)
    result = no_ner.enrich_one(seed_dispatch())
    assert result.language == "fr" and result.keywords and result.topics
    assert {e.text for e in result.entities} == {"Reuters", "Kyiv"}  # dateline metadata only
    assert result.countries == ("UA",)
