"""Transliteration-insensitive keys for words and names, so the same name matches across languages and spellings.

In: one word as written in any script ("Poutine", "Lukaschenko", "Selenskyj", "Łukaszenki").  Out: a short ASCII key
("putin", "lukasenk", "selensk"), equal for the usual spellings of one name.  ``anyascii`` transliterates (Cyrillic,
Greek, accents); the rules below fold what spelling conventions of en/fr/de/es/it/pl/pt disagree on (sch/sh/ch/sz/cz,
ou/u, w/v, z/s, y/j/i, k/c/q, doubled letters) and strip short inflection endings ("Putins", "Putina").  We wrote
these rules ourselves: the phonetic libraries we found (Soundex, Metaphone, NYSIIS in jellyfish) are English-only
and conflate far more (Soundex maps "Putin" and "Paton" alike).
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"[^a-z]", ""),
        (r"tsch|tch|tsh|cz|ch|sch|sh|sz|zh|ss|x", "s"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"w", "v"),
        (r"z", "s"),
        (r"[yj]", "i"),
        (r"ck|q|c", "k"),
        (r"ou|oo", "u"),
        (r"ae|ai", "e"),
        (r"oe", "o"),
        (r"ie|ii|iy", "i"),
        (r"(.)\1+", r"\1"),
    )
)
_ENDING = re.compile(r"(?:[aeiou]+|[aeiou]?s|[aeiou]m|[ao]v|ego|owi)$")


@lru_cache(maxsize=65_536)
def word_key(word: str) -> str:
    """Spelling-insensitive key of one word (empty when nothing letter-like is left)."""
    key = anyascii(word).lower()
    for pattern, repl in _RULES:
        key = pattern.sub(repl, key)
    stem = _ENDING.sub("", key)
    return stem if len(stem) >= 3 else key
