"""Places and countries: LOCATION entities and the dateline city in, resolved places and ISO countries out.

In: entities (most salient first), the dateline, a ``Gazetteer``.  Out: ``Place`` records (country, coordinates for
cities), the story's countries ordered by salience, and notes for what stayed unresolved.  Ambiguous city names are
resolved by context (a candidate in a country the story already names, or the dateline's country), else by a clearly
dominant candidate (>= 10x the population of the next one in another country), else left unresolved with a note:
never guessed silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.model import Dateline, Entity, Place
from pipeline.transforms.enrich.gazetteer import Gazetteer, PlaceRecord

DOMINANCE = 10.0
DATELINE_WEIGHT = 0.5  # a dateline city counts like a fairly salient mention of its country


@dataclass(frozen=True)
class GeoResult:
    places: tuple[Place, ...]
    countries: tuple[str, ...]
    notes: tuple[str, ...]


def _choose(cands: Sequence[PlaceRecord], context: set[str]) -> tuple[PlaceRecord | None, str | None]:
    """Pick one candidate city or explain why not (candidates come most populous first)."""
    if len({c.country for c in cands}) == 1 and (
        len(cands) == 1 or cands[0].population >= DOMINANCE * cands[1].population
    ):
        return cands[0], None
    in_context = [c for c in cands if c.country in context]
    if in_context and len({c.country for c in in_context}) == 1:
        top = in_context
        if len(top) == 1 or top[0].population >= DOMINANCE * top[1].population:
            return top[0], None
        return PlaceRecord(top[0].name, top[0].country, None, None, "city"), None  # country sure, city not
    if len(cands) > 1 and cands[0].population >= DOMINANCE * cands[1].population:
        return cands[0], None
    if len({c.country for c in cands}) == 1:
        return PlaceRecord(cands[0].name, cands[0].country, None, None, "city"), None
    options = ",".join(sorted({c.country for c in cands}))
    return None, f"ambiguous among {options}"


def resolve(entities: Sequence[Entity], dateline: Dateline | None, gazetteer: Gazetteer) -> GeoResult:
    locations = [e for e in entities if e.type == "LOCATION"]
    dl_city = dateline.city_normalized or dateline.city if dateline else None

    # Pass 1: countries named outright give the context for ambiguous cities.
    context: set[str] = set()
    for e in locations:
        rec = gazetteer.country(e.text)
        if rec:
            context.add(rec.country)
    if dl_city:
        cands = gazetteer.cities(dl_city)
        if cands and len({c.country for c in cands}) == 1:
            context.add(cands[0].country)

    places: list[Place] = []
    notes: list[str] = []
    weights: dict[str, float] = {}

    def add(name: str, rec: PlaceRecord | None, kind: str, weight: float) -> None:
        if rec is None:
            places.append(Place(name, None, None, None, kind))  # type: ignore[arg-type]
            return
        places.append(Place(name, rec.country, rec.latitude, rec.longitude, kind))  # type: ignore[arg-type]
        weights[rec.country] = weights.get(rec.country, 0.0) + weight

    seen_dateline = False
    for e in locations:
        weight = max(e.salience, 0.05)
        if dl_city and e.text.casefold() == dl_city.casefold():
            seen_dateline = True
            weight += DATELINE_WEIGHT
        country = gazetteer.country(e.text)
        if country:
            add(e.text, country, "country", weight)
            continue
        cands = gazetteer.cities(e.text)
        if cands:
            rec, why = _choose(cands, context)
            if why:
                notes.append(f"geo: '{e.text}' {why}, left unresolved")
            add(e.text, rec, "city", weight)
            continue
        inner = gazetteer.countries_within(e.text)
        if (
            len(inner) == 1
        ):  # "mer de Chine orientale", "Northern Ireland": a region tied to one named country
            add(e.text, gazetteer.country_record(inner.pop()), "region", weight)
        else:
            add(e.text, None, "other", weight)
    if dl_city and not seen_dateline:
        cands = gazetteer.cities(dl_city)
        rec, why = _choose(cands, context) if cands else (None, "not in the gazetteer")
        if why:
            notes.append(f"geo: dateline city '{dl_city}' {why}, left unresolved")
        add(dl_city, rec, "city", DATELINE_WEIGHT)

    countries = tuple(sorted(weights, key=lambda c: (-weights[c], c)))
    return GeoResult(tuple(places), countries, tuple(notes))
