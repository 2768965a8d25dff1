"""Month and weekday names in the wire languages (en, fr, de, es, it, pt, nl): a word -> its month number.

In: one word as written ("Dezember", "dic.", "FEb", "févr").  Out: 1..12 or None.  ``fuzzy`` also accepts the
typos wire desks made in datelines ("Marc 3", "Narch 2"): an unambiguous prefix or one edit away from a full name.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_FULL: dict[int, tuple[str, ...]] = {
    1: ("january", "janvier", "januar", "jänner", "enero", "gennaio", "janeiro", "januari"),
    2: ("february", "février", "februar", "febrero", "febbraio", "fevereiro", "februari"),
    3: ("march", "mars", "märz", "marzo", "março", "maart"),
    4: ("april", "avril", "abril", "aprile"),
    5: ("may", "mai", "mayo", "maggio", "maio", "mei"),
    6: ("june", "juin", "juni", "junio", "giugno", "junho"),
    7: ("july", "juillet", "juli", "julio", "luglio", "julho"),
    8: ("august", "août", "agosto", "augustus"),
    9: ("september", "septembre", "septiembre", "setiembre", "settembre", "setembro"),
    10: ("october", "octobre", "oktober", "octubre", "ottobre", "outubro"),
    11: ("november", "novembre", "noviembre", "novembro"),
    12: ("december", "décembre", "dezember", "diciembre", "dicembre", "dezembro"),
}
_ABBR: dict[int, tuple[str, ...]] = {
    1: ("jan", "janv", "ene", "gen", "jän"),
    2: ("feb", "fév", "févr", "fev", "fevr"),
    3: ("mar", "mär", "mrz"),
    4: ("apr", "avr", "abr"),
    5: ("mag",),
    6: ("jun", "giu"),
    7: ("jul", "juil", "lug"),
    8: ("aug", "ago", "aoû"),
    9: ("sep", "sept", "set"),
    10: ("oct", "okt", "ott", "out"),
    11: ("nov",),
    12: ("dec", "déc", "dez", "dic"),
}
WEEKDAYS = frozenset(
    (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues",
        "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
        "samedi", "dimanche", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
        "sonnabend", "lunes", "martes", "miércoles", "miercoles", "jueves", "viernes", "sábado", "sabado",
        "domingo", "lunedì", "lunedi", "martedì", "martedi", "mercoledì", "mercoledi", "giovedì", "giovedi",
        "venerdì", "venerdi", "sabato", "domenica", "segunda", "terça", "terca", "quarta", "quinta", "sexta"
    )
)  # fmt: skip


def _fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in word if not unicodedata.combining(c))


MONTHS: dict[str, int] = {}
for _n, _names in _FULL.items():
    for _w in (*_names, *_ABBR[_n]):
        MONTHS[_w] = _n
        MONTHS[_fold(_w)] = _n

_FULL_FOLDED = {_fold(w): n for n, names in _FULL.items() for w in names}
_PREFIXES: dict[str, set[int]] = {}
for _w, _n in _FULL_FOLDED.items():
    for _i in range(3, len(_w)):
        _PREFIXES.setdefault(_w[:_i], set()).add(_n)


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one substitution, insertion or deletion."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if len(a) > len(b):
        a, b = b, a
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


@lru_cache(maxsize=4096)
def month_number(word: str, fuzzy: bool = False) -> int | None:
    """ "Dezember" -> 12, "dic." -> 12, "FEb" -> 2; with ``fuzzy`` also "Marc" -> 3 and "Narch" -> 3."""
    w = word.strip().rstrip(".").casefold()
    n = MONTHS.get(w) or MONTHS.get(_fold(w))
    if n or not fuzzy or len(w) < 4 or not w.isalpha():
        return n
    f = _fold(w)
    hits = _PREFIXES.get(f, set())
    if len(hits) == 1:
        return next(iter(hits))
    if len(f) >= 5:
        near = {m for full, m in _FULL_FOLDED.items() if len(full) >= 5 and _one_edit(f, full)}
        if len(near) == 1:
            return next(iter(near))
    return None


def is_weekday(word: str) -> bool:
    return word.strip().rstrip(".,").casefold() in WEEKDAYS
