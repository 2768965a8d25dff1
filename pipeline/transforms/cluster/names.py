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
from functools import lru_cache, partial

from anyascii import anyascii

# The rules, applied in this order (the definition of a key; tests/unit/cluster/test_names.py checks word_key
# against it on every word of wordfreq's lists).
RULES: tuple[tuple[str, str], ...] = (
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
_ENDING = re.compile(r"(?:[aeiou]+|[aeiou]?s|[aeiou]m|[ao]v|ego|owi)$")
_NOT_LETTER, _SH, _U, _I, _RUN = (re.compile(RULES[i][0]) for i in (0, 1, 8, 11, 12))
# w->v, z->s, y/j->i, then c/q->k: single letters, so one translate (after "ck" -> "k"; ph/th/ck share no letter with
# them, so the order among these rules does not matter)
_LETTERS = bytes.maketrans(b"wzyjcq", b"vsiikk")


def _word_key(word: str) -> str:
    """Spelling-insensitive key of one word (empty when nothing letter-like is left): ``RULES`` in order, those
    that replace fixed strings done with ``str.replace``/``translate`` and the costly ones only when they can match
    (a cold token's largest cost: 2-3 times faster than the plain regex cascade, the same keys)."""
    key = anyascii(word).lower()
    if not (key.isalpha() and key.isascii()):
        key = _NOT_LETTER.sub("", key)
    key = _SH.sub("s", key).replace("ph", "f").replace("th", "t").replace("ck", "k")
    key = key.encode().translate(_LETTERS).decode()  # ASCII letters only by now
    if "ou" in key or "oo" in key:
        key = _U.sub("u", key)
    # "ae" and "ai" never overlap, and dropping the "a" of "ae" makes no new "ai": two replaces are the regex
    key = _I.sub("i", key.replace("ae", "e").replace("ai", "e").replace("oe", "o"))
    if _RUN.search(key) is not None:  # a search is cheap, a substitution with a group reference is not
        key = _RUN.sub(r"\1", key)
    end = _ENDING.search(key)
    stem = key[: end.start()] if end is not None else key
    return stem if len(stem) >= 3 else key


try:  # the same rules compiled (_text.pyx, where setup.py built it): 2.3 -> 0.9 us a word not seen yet
    from pipeline.transforms.cluster import _text

    word_key = lru_cache(maxsize=65_536)(partial(_text.word_key, anyascii))
except ImportError:
    word_key = lru_cache(maxsize=65_536)(_word_key)
