"""Wire datelines: the opening "CITY, date (Agency) -" of a story -> ``Dateline`` and the body text after it.

In: the first paragraph of a story.  Out: ``(Dateline(city, city_normalized, date_text, agency), rest)`` or
``(None, text)``.  Handles English, French, German, Spanish, Italian and Portuguese wire styles::

    KYIV (Reuters) -              PARIS, 24 novembre (AFP) -      WASHINGTON (AP) —
    BERLIN, 3. Dezember (Reuters) -   MADRID, 5 dic (EFE).-       NEW YORK, Nov 24 (Reuters) -
    PORTLAND, Ore., Feb 26 -      (ANSA) - ROMA, 5 DIC -          (Reuters) - (agency only)

``city`` keeps what was written, state or country included ("PORTLAND, Ore."); ``city_normalized`` is the city
alone in title case ("Portland").  A dateline must end at the first dash (or colon) of the paragraph, and is only
accepted with a date or an agency, or as an all-caps place of at most three words: ordinary first sentences are not
datelines.
"""

from __future__ import annotations

import re

from pipeline.model import Dateline
from pipeline.transforms.normalize.agency import canonical_agency
from pipeline.transforms.normalize.months import is_weekday, month_number

MAX_HEAD = 100  # a dateline is short; the separator must come within this many characters

_DASH = r"(?:--|[-–—―])+"
_SEP_RE = re.compile(
    rf"(?P<sep>\s+{_DASH}\s*"  # "KYIV -", "Feb 26 - ", "March 2  -"
    rf"|(?<=[\w.)}}])\.?{_DASH}(?:\s+|$)"  # "Feb 26- ", "(EFE).- "
    rf"|(?<=\))\s*\.?{_DASH}\s*"  # "(Reuters)-text"
    r"|(?<=[\w.)]):\s+)"  # "NEW DELHI: "
)
_AGENCY_TAIL_RE = re.compile(r"\(\s*([^()]{1,40}?)\s*\)\s*$")
_DATE_RE = re.compile(
    r"(?:(?P<wd>[^\W\d_]{3,12}\.?),?\s+)?"
    r"(?:(?:le\s+)?(?P<d1>\d{1,2})(?:er|º|°|\.)?\s*(?:de\s+)?(?P<m1>[^\W\d_]{3,10}\.?)(?:,?\s+(?:de\s+)?\d{4})?"
    r"|(?P<m2>[^\W\d_]{3,10}\.?)\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+\d{4})?)",
    re.IGNORECASE,
)
_REGION_DATE_RE = re.compile(r"(?P<region>.*\.)\s+(?P<date>\S.*)")
_YEAR_RE = re.compile(r"\d{4}")
_DAY_RE = re.compile(r"\d{1,2}")
_PLACE_WORD_RE = re.compile(r"[^\W\d_][^\s\d]*")
_NOT_PLACES = frozenset(
    (
        "UPDATE", "UPDATED", "BREAKING", "EXCLUSIVE", "CORRECTION", "CORRECTED", "URGENT", "FLASH", "ALERT",
        "NOTE", "EDITORS", "EDITOR", "WATCH", "VIDEO", "PHOTO", "PHOTOS", "FILE", "LIVE", "OPINION", "ANALYSIS",
        "FACTBOX", "REFILE", "REPEAT", "RPT", "WRAPUP", "PREVIEW", "INTERVIEW", "COMMENT", "EDITORIAL",
        "SPONSORED", "ADVERTISEMENT", "WARNING", "MORE", "READ", "LISTEN", "TIMELINE", "QUOTE", "QUOTES",
        "EXPLAINER", "MISE", "EXCLUSIF", "DIRECT", "VIDÉO", "PUBLICITÉ", "EILMELDUNG", "ÚLTIMA", "AGGIORNAMENTO"
    )
)  # fmt: skip
_PARTICLES = frozenset(
    (
        "de", "da", "do", "dos", "das", "del", "della", "di", "du", "des", "la", "le", "les", "am", "an", "der",
        "im", "sur", "upon", "on", "en", "y", "e", "et", "von", "van"
    )
)  # fmt: skip
_HYPHEN_PARTICLE_RE = re.compile(r"-(En|Sur|Le|La|Les|De|Du|Des|Am|Upon|Sous|Lès|Lez)(?=-)")
_CAP_RE = re.compile(r"(^|[-/'’.])(\w)")


def _valid_date(text: str, *, day_only_ok: bool) -> bool:
    if day_only_ok and _DAY_RE.fullmatch(text):
        return 1 <= int(text) <= 31
    m = _DATE_RE.fullmatch(text)
    if not m:
        return False
    if m.group("wd") and not is_weekday(m.group("wd")):
        return False
    day = int(m.group("d1") or m.group("d2"))
    return 1 <= day <= 31 and month_number(m.group("m1") or m.group("m2"), fuzzy=True) is not None


def _split_date(segs: list[str], *, day_only_ok: bool) -> tuple[list[str], str | None]:
    """Take the date off the end of the comma-separated head: "NEW YORK, Nov 24" -> (["NEW YORK"], "Nov 24")."""
    if not segs:
        return segs, None
    take = 2 if len(segs) >= 2 and _YEAR_RE.fullmatch(segs[-1]) else 1  # "Dec 5, 2022"
    cand = ", ".join(segs[-take:])
    if _valid_date(cand, day_only_ok=day_only_ok):
        segs = segs[:-take]
        if len(segs) >= 2 and is_weekday(segs[-1]):  # "Monday, Dec 5"
            cand = f"{segs.pop()}, {cand}"
        return segs, cand
    m = _REGION_DATE_RE.fullmatch(segs[-1])  # "RICHMOND, Va. Feb 26": region and date without a comma
    if m and len(segs) >= 2 and _valid_date(m.group("date"), day_only_ok=False):
        return [*segs[:-1], m.group("region")], m.group("date")
    return segs, None


def _place_words(text: str, max_words: int) -> list[str] | None:
    words = text.split()
    if not 1 <= len(words) <= max_words or len(text) > 40:
        return None
    if not all(_PLACE_WORD_RE.fullmatch(w) for w in words):
        return None
    return words


def _is_caps(text: str) -> bool:
    return text.upper() == text and any(c.isalpha() for c in text)


def normalize_city(city: str) -> str:
    """ "KYIV" -> "Kyiv", "RIO DE JANEIRO" -> "Rio de Janeiro", "COEUR D'ALENE" -> "Coeur d'Alene"; mixed case kept."""
    if not _is_caps(city):
        return city
    out = []
    for i, word in enumerate(city.lower().split()):
        if i and word in _PARTICLES:
            out.append(word)
            continue
        word = _CAP_RE.sub(lambda m: m.group(1) + m.group(2).upper(), word)
        if i and len(word) > 2 and word[1] in "'’" and word[0] in "DL":  # "d'Alene", "l'Aquila" inside a name
            word = word[0].lower() + word[1:]
        out.append(_HYPHEN_PARTICLE_RE.sub(lambda m: "-" + m.group(1).lower(), word))
    return " ".join(out)


def _parse_head(head: str, sep: str) -> Dateline | None:
    """The text before the separator -> Dateline, or None if it is not one."""
    agency: str | None = None
    m = _AGENCY_TAIL_RE.search(head)
    if m:
        raw_agency = m.group(1)
        agency = canonical_agency(raw_agency)
        head = head[: m.start()].rstrip(" ,")
        if agency is None:
            # an unknown credit in parentheses is only trusted after an all-caps place: "ATLANTA (CNN) -"
            words = raw_agency.split()
            if not (head and _is_caps(head) and len(words) <= 4 and raw_agency[:1].isupper()):
                return None
            if any(c.isdigit() for c in raw_agency):
                return None
            agency = raw_agency
    if not head:
        return Dateline(agency=agency) if agency else None
    if agency is None and (named := canonical_agency(head)) and head[:1].isupper():
        return Dateline(agency=named)  # AG News style "Reuters - ...", "AFP - ..."
    segs, date = _split_date([s.strip() for s in head.split(",")], day_only_ok=agency is not None)
    if not segs:
        return Dateline(date_text=" ".join(date.split()), agency=agency) if date and agency else None
    city, regions = segs[0], segs[1:]
    if len(regions) > 2 or not city:
        return None
    words = _place_words(city, 5)
    if words is None or words[0].upper().rstrip(":") in _NOT_PLACES or len(city.replace(".", "")) < 2:
        return None
    for region in regions:
        rw = _place_words(region, 3)
        if rw is None or not region[:1].isupper():
            return None
    caps = _is_caps(city)
    if date or agency:
        if not city[:1].isupper():
            return None
    elif not (caps and len(words) <= 3 and (sep.strip(" .") != ":" or not regions)):
        return None
    return Dateline(
        city=", ".join([city, *regions]),
        city_normalized=normalize_city(city),
        date_text=" ".join(date.split()) if date else None,
        agency=agency,
    )


def parse_dateline(text: str) -> tuple[Dateline | None, str]:
    """A story's first paragraph -> (Dateline, the body after it), or (None, text) when it has no dateline."""
    if not text:
        return None, text
    stripped = text.lstrip()
    m = _SEP_RE.search(stripped, 0, MAX_HEAD + 8)
    if not m or m.start() == 0:
        return None, text
    head = stripped[: m.start()]
    if len(head) > MAX_HEAD or "\n" in head:
        return None, text
    dateline = _parse_head(head, m.group("sep"))
    if dateline is None:
        return None, text
    rest = stripped[m.end() :].lstrip()
    if (
        dateline.city is None and dateline.date_text is None
    ):  # "(ANSA) - ROMA, 5 DIC - ...": the place follows
        inner, inner_rest = parse_dateline(rest)
        if inner is not None and inner.city and inner.agency is None:
            return Dateline(inner.city, inner.city_normalized, inner.date_text, dateline.agency), inner_rest
    return dateline, rest
