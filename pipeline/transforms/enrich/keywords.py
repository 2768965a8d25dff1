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
from functools import lru_cache
from pathlib import Path

CLAUSE = re.compile(r"[.,;:!?()\[\]«»\"“”„…\n]+|\s[-–—]\s")
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
ELIDED = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


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
    out = []
    for clause in CLAUSE.split(text):
        ws = [ELIDED.sub("", w) for w in WORD.findall(clause)]
        if ws:
            out.append([w for w in ws if w])
    return out


def extract_keywords(text: str, language: str | None, top: int = 10) -> tuple[str, ...]:
    return keywords_from(words(text), language, top)


def keywords_from(clauses: list[list[str]], language: str | None, top: int = 10) -> tuple[str, ...]:
    """Keyphrases from already-split clauses (the enricher splits once for keywords and topics)."""
    stops = stop_words(language)
    total = sum(len(c) for c in clauses) or 1
    # plain dicts and a flat loop: this is the enrich stage's hottest pure-Python code (same candidates, same order)
    freq: dict[str, int] = {}
    first_pos: dict[str, int] = {}
    upper: dict[str, int] = {}
    surface: dict[str, str] = {}
    pos = 0
    for clause in clauses:
        lows = [w.casefold() for w in clause]
        size = len(clause)
        for i in range(size):
            first = lows[i]
            if first in stops or len(first) < 2:
                continue  # no candidate starts with a stop word
            capital = i > 0 and clause[i][0].isupper()
            for j in range(i + 1, min(i + 3, size) + 1):
                last = lows[j - 1]
                if len(last) < 2:
                    break
                if j == i + 1:
                    if len(first) < 4:
                        continue  # a single word counts from four letters
                    key = first
                elif last in stops:
                    continue
                else:
                    key = " ".join(lows[i:j])
                seen = freq.get(key)
                if seen is None:
                    freq[key] = 1
                    first_pos[key] = pos + i
                    surface[key] = " ".join(clause[i:j])
                else:
                    freq[key] = seen + 1
                if capital:
                    upper[key] = upper.get(key, 0) + 1
        pos += size
    scores: dict[str, float] = {}
    for key, f in freq.items():
        n_words = key.count(" ") + 1
        capitals = upper.get(key, 0)
        if n_words > 1 and f < 2 and not capitals:
            continue  # a one-off word pair is a collocation by chance, not a keyphrase
        position = 1.0 / math.log2(3 + first_pos[key] * 20 / total)
        scores[key] = f * (1.0 + 0.5 * (n_words - 1)) * position * (1.3 if capitals else 1.0)
    chosen: list[str] = []
    for key in sorted(scores, key=lambda k: (-scores[k], first_pos[k])):
        if any(key in c or c in key for c in chosen):
            continue  # "Poutine" after "Vladimir Poutine" adds nothing
        chosen.append(key)
        if len(chosen) == top:
            break
    return tuple(surface[k] for k in chosen)
