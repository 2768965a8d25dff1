"""Keyphrases: text + language in, up to ``top`` keyphrases out (most relevant first).

A lean statistical extractor in the spirit of YAKE (candidates are 1-3 word runs inside a clause that neither start
nor end with a stop word; scored on frequency, early position and capitalisation; phrases that only restate a better
one are dropped).  Stop words per language come from spaCy's language data (no model needed, ~60 languages).
``yake`` itself was measured at 13 ms per 2,000-character dispatch, half of what NER costs, which would break the
stage's throughput budget; this extractor costs ~1 ms.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections import Counter
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

CLAUSE = re.compile(r"[.,;:!?()\[\]«»\"“”„…\n]+|\s[-–—]\s")
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
ELIDED = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
# WORD with ELIDED's prefix matched and left out of the group: the same words as ``ELIDED.sub("", w)`` over
# ``WORD.findall`` (the prefix is optional and needs a letter after it, as WORD's joiner does), without one ``sub`` per
# word.  _TOKEN adds CLAUSE's breaks as matches without the group ("" in ``findall``): no break starts with a character a
# word can hold, so one scan of the text finds the same breaks and words as splitting it first.
_UNELIDED = rf"(?i:{ELIDED.pattern[1:]})?({WORD.pattern})"
_WORD_UNELIDED = re.compile(_UNELIDED)
_TOKEN = re.compile(rf"(?:{CLAUSE.pattern})|{_UNELIDED}")


@lru_cache(maxsize=1)
def _spacy_lang_dir() -> Path:
    """spaCy's ``lang`` package directory, found without importing spaCy (1.4 s a process, not needed without NER)."""
    spec = importlib.util.find_spec("spacy")
    assert spec is not None and spec.submodule_search_locations, "spaCy is a dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "lang"


@lru_cache(maxsize=64)
def stop_words(language: str | None) -> frozenset[str]:
    """spaCy's stop-word list for the language (casefolded), empty when spaCy has no data for it.

    Read from the file ``spacy/lang/<code>/stop_words.py`` alone (plain data, no imports): importing the language
    package compiles its tokenizer exceptions (5.7 s for French, once per process and per enrich worker).  The lists
    are the same ones (checked for all 79 languages of spaCy 3.8; the three without the file use the class)."""
    if not language or not language.isalpha():
        return frozenset()
    path = _spacy_lang_dir() / language / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"_stop_words_{language}", path)
    if path.is_file() and spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        words = getattr(module, "STOP_WORDS", set())
    else:
        try:
            import spacy.util

            words = spacy.util.get_lang_class(language).Defaults.stop_words
        except (ImportError, KeyError, AttributeError):
            return frozenset()
    return frozenset(w.casefold() for w in words)


def words(text: str) -> list[list[str]]:
    """Clauses as lists of words, French-style elisions removed (``l'Ukraine`` -> ``Ukraine``)."""
    findall = _WORD_UNELIDED.findall
    return [ws for clause in CLAUSE.split(text) if (ws := findall(clause))]


def flat_words(text: str) -> list[str]:
    """The words of ``words(text)`` in one list, with "" at every clause break (one or more between two clauses)."""
    return _TOKEN.findall(text)


def extract_keywords(text: str, language: str | None, top: int = 10) -> tuple[str, ...]:
    return keywords_from(words(text), language, top)


def keywords_from(clauses: list[list[str]], language: str | None, top: int = 10) -> tuple[str, ...]:
    """Keyphrases from clauses as ``words`` splits them (no empty words)."""
    flat: list[str] = []
    for clause in clauses:
        flat.append("")
        flat += clause
    return keywords_from_flat(flat, language, top)


def keywords_from_flat(flat: list[str], language: str | None, top: int = 10) -> tuple[str, ...]:
    """Keyphrases from ``flat_words`` (the enricher splits once for keywords and topics).

    Candidates start at a word that is neither a stop word nor shorter than two letters: the word alone (from four
    letters), the pair of it and the next such word, the triple with any word of two letters or more between; none
    spans a clause break ("" is too short to be inside one).  Built as whole lists over the flat word list (this is
    the enrich stage's hottest pure-Python code); a candidate's first position decides ties, then its length, which
    is the order a per-word loop first sees the keys in."""
    stops = stop_words(language)
    # seen[k]: how many words up to flat[k]; flat[k]'s position among the words is seen[k] - 1
    seen = list(accumulate(map(bool, flat)))
    total = seen[-1] if seen else 0
    lows = list(map(str.casefold, flat))
    n = len(lows)
    wide = [len(w) >= 2 for w in lows]
    ok = [wd and w not in stops for w, wd in zip(lows, wide, strict=True)]
    cap = [bool(prev) and w[:1].isupper() for prev, w in zip(flat, flat[1:], strict=False)]
    cap.insert(0, False)  # cap[k]: flat[k] is capitalised and not its clause's first word
    at1 = [k for k in range(n) if ok[k] and len(lows[k]) >= 4]
    at2 = [k for k in range(n - 1) if ok[k] and ok[k + 1]]
    at3 = [k for k in range(n - 2) if ok[k] and wide[k + 1] and ok[k + 2]]
    keys1 = [lows[k] for k in at1]
    keys2 = [f"{lows[k]} {lows[k + 1]}" for k in at2]
    keys3 = [f"{lows[k]} {lows[k + 1]} {lows[k + 2]}" for k in at3]
    total = total or 1
    scored: list[tuple[float, int, int, int, str]] = []
    for n_words, keys, at in ((1, keys1, at1), (2, keys2, at2), (3, keys3, at3)):
        freq = Counter(keys)
        upper = Counter([key for key, k in zip(keys, at, strict=True) if cap[k]])
        first = dict(zip(reversed(keys), reversed(at), strict=True))  # key -> its first flat index
        mult = 1.0 + 0.5 * (n_words - 1)
        for key, f in freq.items():
            capitals = upper.get(key, 0)
            if n_words > 1 and f < 2 and not capitals:
                continue  # a one-off word pair is a collocation by chance, not a keyphrase
            k = first[key]
            pos = seen[k] - 1
            position = 1.0 / math.log2(3 + pos * 20 / total)
            score = f * mult * position * (1.3 if capitals else 1.0)
            scored.append((-score, pos, n_words, k, key))
    scored.sort()
    chosen: list[str] = []
    surfaces: list[str] = []
    for _, _, n_words, k, key in scored:
        if any(key in c or c in key for c in chosen):
            continue  # "Poutine" after "Vladimir Poutine" adds nothing
        chosen.append(key)
        surfaces.append(" ".join(flat[k : k + n_words]))
        if len(chosen) == top:
            break
    return tuple(surfaces)
