"""The enrich stage's pure core: dispatches in, one ``Enrichment`` per dispatch out, in order.

``Enricher.load()`` builds the expensive parts once (fastText language ID, gazetteer, spaCy NER models lazily per language);
``enrich_batch`` is then a pure function of its input.  It batches NER per language with ``nlp.pipe`` and never raises
for one bad item: whatever fails (a model error, no model for the language) is noted in ``Enrichment.errors`` and the
item keeps every field that could be filled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Dispatch, Enrichment, Entity
from pipeline.transforms.enrich import fallback, gazetteer, geo, models
from pipeline.transforms.enrich.entities import RawSpan, build_entities
from pipeline.transforms.enrich.gazetteer import Gazetteer
from pipeline.transforms.enrich.keywords import flat_words, keywords_from_flat
from pipeline.transforms.enrich.language import DetectedLanguage, LanguageIdentifier
from pipeline.transforms.enrich.topics import classify, has_lexicon

log = logging.getLogger(__name__)

BATCH_SIZE = 32  # nlp.pipe batch; measured flat between 16 and 64 on dispatch-length text
MAX_NER_CHARS = 100_000  # longer bodies are cut for NER only (noted), the small models' cost is linear


def compose(dispatch: Dispatch) -> str:
    """The analysed text; entity offsets index into it (see ``Entity.first_offset``)."""
    return f"{dispatch.headline}\n\n{dispatch.body}"


def _error(component: str, exc: BaseException) -> str:
    return f"{component}: {type(exc).__name__}: {exc}"[:300]


class Enricher:
    """Language, entities, places, keywords and topics for dispatches; build with ``Enricher.load``."""

    def __init__(
        self,
        langid: LanguageIdentifier,
        gazetteer: Gazetteer,
        ner: bool = True,
        languages: Sequence[str] | None = None,
        nlp: Mapping[str, Any] | None = None,
    ):
        self.langid = langid
        self.gazetteer = gazetteer
        self.ner = ner
        self.languages = frozenset(languages) if languages is not None else None
        self._nlp: dict[str, Any] = dict(nlp or {})
        self._load_errors: dict[str, str] = {}

    @classmethod
    def load(cls, languages: Sequence[str] | None = None, ner: bool = True) -> Enricher:
        """Build once per worker.  ``languages`` preloads (and limits NER to) those models; None loads lazily."""
        enricher = cls(LanguageIdentifier.build(), gazetteer.shared(), ner=ner, languages=languages)
        if ner:
            for lang in languages or ():
                enricher._model(lang)
        return enricher

    def _model(self, lang: str | None) -> Any | None:
        if not self.ner or lang is None:
            return None
        if lang in self._nlp:
            return self._nlp[lang]
        if (self.languages is not None and lang not in self.languages) or not models.has_model(lang):
            return None
        if lang in self._load_errors:
            return None
        try:
            self._nlp[lang] = models.load_ner(lang)
        except Exception as exc:
            self._load_errors[lang] = _error("ner", exc)
            log.exception("could not load NER model for %s", lang)
            return None
        return self._nlp[lang]

    # ---- per-batch steps -------------------------------------------------------------------------------------------
    def _detect(self, dispatch: Dispatch, text: str) -> tuple[DetectedLanguage, list[str]]:
        hint = (dispatch.language_hint or "").split("-")[0].lower() or None
        try:
            found = self.langid.detect(text, hint)
        except Exception as exc:
            found, errors = DetectedLanguage(None, 0.0), [_error("language", exc)]
        else:
            errors = []
        if found.code is None:
            errors.append(
                f"language: not detected; {'feed hint ' + repr(hint) + ' used' if hint else 'no feed hint'}"
            )
            found = DetectedLanguage(hint, 0.0)
        return found, errors

    def _ner_spans(
        self, texts: Sequence[str], langs: Sequence[str | None]
    ) -> list[tuple[list[RawSpan] | None, str | None]]:
        """Model spans per text (None when the model failed on it), batched per language with ``nlp.pipe``."""
        out: list[tuple[list[RawSpan] | None, str | None]] = [([], None)] * len(texts)
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            if self._model(lang) is not None:
                by_lang.setdefault(lang, []).append(i)  # type: ignore[arg-type]
        for lang, idx in by_lang.items():
            nlp, labels = self._nlp[lang], models.MODELS[lang].labels if lang in models.MODELS else {}
            complement = lang in models.MODELS and models.MODELS[lang].gazetteer_complement
            batch = [texts[i][:MAX_NER_CHARS] for i in idx]
            try:
                docs = list(nlp.pipe(batch, batch_size=BATCH_SIZE))
            except Exception:
                docs = []
                for t in batch:
                    try:
                        docs.append(nlp(t))
                    except Exception as exc:
                        docs.append(exc)
            for i, doc in zip(idx, docs, strict=False):
                if isinstance(doc, BaseException):
                    out[i] = (None, _error("ner", doc))
                    continue
                spans = [
                    RawSpan(e.text, labels.get(e.label_, e.label_), e.start_char, e.end_char)
                    for e in doc.ents
                    if e.label_ in labels or not labels
                ]
                if complement:
                    spans = fallback.add_missed(spans, texts[i][:MAX_NER_CHARS], self.gazetteer)
                out[i] = (spans, None)
        return out

    def enrich_batch(self, dispatches: Sequence[Dispatch]) -> list[Enrichment]:
        texts = [compose(d) for d in dispatches]
        detected = [self._detect(d, t) for d, t in zip(dispatches, texts, strict=False)]
        langs = [lang.code for lang, _ in detected]
        ner_results = self._ner_spans(texts, langs) if self.ner else [([], None)] * len(texts)
        return [
            self._finish(d, t, lang, list(errs), spans, ner_error)
            for d, t, (lang, errs), (spans, ner_error) in zip(
                dispatches, texts, detected, ner_results, strict=False
            )
        ]

    def enrich_one(self, dispatch: Dispatch) -> Enrichment:
        return self.enrich_batch([dispatch])[0]

    def _finish(
        self,
        d: Dispatch,
        text: str,
        lang: DetectedLanguage,
        errors: list[str],
        spans: list[RawSpan] | None,
        ner_error: str | None,
    ) -> Enrichment:
        code = lang.code
        if ner_error:
            errors.append(ner_error)
        entities: tuple[Entity, ...] = ()
        places, countries = (), ()
        try:
            if self.ner and spans is not None and self._model(code) is None:
                if code in self._load_errors:
                    errors.append(self._load_errors[code])
                errors.append(fallback.FALLBACK_NOTE.format(lang=code))
                spans = fallback.find_spans(text, self.gazetteer)
            if len(text) > MAX_NER_CHARS and spans:
                errors.append(f"ner: text cut to {MAX_NER_CHARS} characters")
            entities = build_entities(
                spans or [], text, len(d.headline), d.dateline, d.authors, self.gazetteer
            )
        except Exception as exc:
            errors.append(_error("entities", exc))
        try:
            result = geo.resolve(entities, d.dateline, self.gazetteer)
            places, countries = result.places, result.countries
            errors.extend(result.notes)
        except Exception as exc:
            errors.append(_error("geo", exc))
        keywords: tuple[str, ...] = ()
        topics = ()
        try:
            flat = flat_words(text)  # the words, "" at clause breaks
            keywords = keywords_from_flat(flat, code)
        except Exception as exc:
            flat = []
            errors.append(_error("keywords", exc))
        try:
            if not has_lexicon(code):
                errors.append(f"topics: no lexicon for {code!r}; feed categories only")
            topics = classify(filter(None, flat), code, d.categories)
        except Exception as exc:
            errors.append(_error("topics", exc))
        return Enrichment(
            language=code,
            language_confidence=lang.confidence,
            entities=entities,
            places=places,  # type: ignore[arg-type]
            countries=countries,  # type: ignore[arg-type]
            keywords=keywords,
            topics=topics,  # type: ignore[arg-type]
            errors=tuple(errors),
        )
