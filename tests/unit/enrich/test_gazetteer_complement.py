"""Transfer models (es, it: models.ModelSpec.gazetteer_complement) get the gazetteer's places and organisations
they missed."""

from __future__ import annotations

from pipeline.transforms.enrich.entities import RawSpan
from pipeline.transforms.enrich.fallback import add_missed, find_spans


def test_only_spans_overlapping_nothing_the_model_found_are_added(enricher) -> None:
    text = "El alcalde de Badajoz, Francisco Fragoso, viajó a Madrid con Juan Pérez de Barcelona."
    gazetteer = enricher.gazetteer
    places = {s.text for s in find_spans(text, gazetteer)}
    assert {"Badajoz", "Madrid", "Barcelona"} <= places  # what the gazetteer alone finds here
    start = text.index("Madrid")
    person = text.index("Juan Pérez de Barcelona")  # a wrong model span that swallows a place: kept as it is
    model = [
        RawSpan("Madrid", "LOCATION", start, start + 6),
        RawSpan("Juan Pérez de Barcelona", "PERSON", person, len(text) - 1),
    ]
    out = add_missed(model, text, gazetteer)
    assert [s.text for s in out] == ["Badajoz", "Madrid", "Juan Pérez de Barcelona"]
    assert out[0].type == "LOCATION" and out[0].start == text.index("Badajoz")
    assert add_missed(model, "nada que añadir aquí", gazetteer) is model
