"""News agency names: any alias as written in a dateline, byline or credit line -> one canonical name.

In: a name such as "Reuter", "Agence France-Presse", "(dpa)", "Chine nouvelle".  Out: "Reuters", "AFP", "dpa",
"Xinhua", or None when the name is not a known agency.
"""

from __future__ import annotations

import re
import unicodedata

# canonical name -> aliases (compared case-, accent- and punctuation-insensitively)
AGENCIES: dict[str, tuple[str, ...]] = {
    "Reuters": (
        "reuters",
        "reuter",
        "thomson reuters",
        "reuters staff",
        "reuters news",
        "reuters breakingviews",
    ),
    "AFP": (
        "afp",
        "agence france presse",
        "agence france-presse",
        "france presse",
        "france-presse",
        "afp staff",
    ),
    "AP": ("ap", "associated press", "the associated press", "assoc press"),
    "dpa": ("dpa", "deutsche presse agentur", "deutsche presse-agentur"),
    "dpa-AFX": ("dpa-afx", "dpa afx"),
    "EFE": ("efe", "agencia efe"),
    "ANSA": ("ansa", "agenzia ansa"),
    "Lusa": ("lusa", "agencia lusa", "agência lusa"),
    "Belga": ("belga",),
    "Interfax": ("interfax",),
    "Interfax-Ukraine": ("interfax-ukraine", "interfax-ukraina", "interfax ukraine"),
    "Xinhua": ("xinhua", "xinhua news agency", "chine nouvelle", "xinhua net", "xinhuanet"),
    "TASS": ("tass", "itar-tass", "itar tass"),
    "RIA Novosti": ("ria novosti", "ria"),
    "Kyodo": ("kyodo", "kyodo news"),
    "Jiji": ("jiji", "jiji press"),
    "Yonhap": ("yonhap",),
    "Anadolu": ("anadolu", "anadolu agency", "anadolu ajansi", "aa"),
    "APA": ("apa", "austria presse agentur"),
    "Keystone-ATS": ("keystone-ats", "ats", "sda", "keystone-sda", "ats-sda"),
    "Europa Press": ("europa press",),
    "Agência Brasil": ("agencia brasil",),
    "ANP": ("anp",),
    "PAP": ("pap",),
    "ČTK": ("ctk",),
    "MTI": ("mti",),
    "Ukrinform": ("ukrinform",),
    "UNIAN": ("unian",),
    "BelTA": ("belta",),
    "Bloomberg": ("bloomberg", "bloomberg news"),
    "UPI": ("upi", "united press international"),
    "PTI": ("pti", "press trust of india"),
    "IANS": ("ians",),
    "AAP": ("aap", "australian associated press"),
    "Canadian Press": ("canadian press", "the canadian press", "cp"),
    "PA Media": ("pa media", "press association", "pa"),
    "AGI": ("agi",),
    "Adnkronos": ("adnkronos",),
    "Notimex": ("notimex",),
    "Télam": ("telam",),
    "Bernama": ("bernama",),
    "Antara": ("antara",),
    "IRNA": ("irna",),
    "WAFA": ("wafa",),
    "MAP": ("map", "maghreb arabe presse"),
    "APS": ("aps", "algerie presse service"),
    "KNA": ("kna",),
    "epd": ("epd",),
    "AFX": ("afx",),
}

# Short aliases that are also ordinary words or initials: only accepted where an agency is expected
# (inside parentheses, after "with"/"avec", as a byline segment), never found by scanning free text.
AMBIGUOUS = frozenset({"ap", "aa", "pa", "cp", "map", "ria", "apa", "agi", "aps", "ats", "pap", "anp"})

_PUNCT_RE = re.compile(r"[^\w]+")


def _key(name: str) -> str:
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c)).casefold()
    return _PUNCT_RE.sub(" ", name).strip()


_ALIASES: dict[str, str] = {}
for _canon, _aliases in AGENCIES.items():
    for _alias in (_canon, *_aliases):
        _ALIASES[_key(_alias)] = _canon


def canonical_agency(name: str | None) -> str | None:
    """Alias -> canonical agency name ("Reuter" -> "Reuters", "Agence France-Presse" -> "AFP"), else None.

    Accepts light decoration: parentheses, "the", a trailing "staff"/"news agency", and agency pairs written with a
    slash or hyphen ("AFP/Reuters" -> "AFP", the first one).
    """
    if not name:
        return None
    key = _key(name)
    if not key or len(key) > 60:
        return None
    hit = _ALIASES.get(key)
    if hit:
        return hit
    for prefix in ("the ",):
        if key.startswith(prefix) and key[len(prefix) :] in _ALIASES:
            return _ALIASES[key[len(prefix) :]]
    for suffix in (" staff", " news agency", " agency", " news"):
        if key.endswith(suffix) and key[: -len(suffix)] in _ALIASES:
            return _ALIASES[key[: -len(suffix)]]
    if "/" in name:  # "AFP/Reuters", "dpa/lni"
        return canonical_agency(name.split("/", 1)[0])
    return None


_KNOWN_WORDS_RE = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(a) for a in _ALIASES if a not in AMBIGUOUS), key=len, reverse=True))
    + r")\b"
)


def find_agency(text: str) -> str | None:
    """The first unambiguous agency name mentioned in a short text ("Le Monde avec AFP" -> "AFP")."""
    m = _KNOWN_WORDS_RE.search(_key(text))
    return _ALIASES[m.group(1)] if m else None
