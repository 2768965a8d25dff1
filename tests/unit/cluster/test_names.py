"""word_key is names.RULES applied in order: the faster implementation gives the cascade's key on every word."""

from __future__ import annotations

import random
import re

import pytest
from anyascii import anyascii

from pipeline.transforms.cluster import names
from pipeline.transforms.cluster.names import _ENDING, RULES, word_key

CASCADE = tuple((re.compile(p), r) for p, r in RULES)


def by_rules(word: str) -> str:
    key = anyascii(word).lower()
    for pattern, repl in CASCADE:
        key = pattern.sub(repl, key)
    stem = _ENDING.sub("", key)
    return stem if len(stem) >= 3 else key


@pytest.fixture(params=["in use", "python"])
def fast(request: pytest.FixtureRequest):
    """word_key without its cache (every word computed): the one in use (compiled where _native.pyx is built, see
    test_native.py) and the Python fallback."""
    return word_key.__wrapped__ if request.param == "in use" else names._word_key


def differing(fast, words: list[str]) -> list[tuple[str, str, str]]:
    return [(w, fast(w), by_rules(w)) for w in words if fast(w) != by_rules(w)]


@pytest.mark.parametrize("lang", ["en", "fr", "de", "es", "it", "pl", "pt", "ru", "tr"])
def test_word_key_is_the_rule_cascade_on_a_language_vocabulary(fast, lang: str) -> None:
    from wordfreq import get_frequency_dict

    words = list(get_frequency_dict(lang, wordlist="small"))[::3]  # every third: a few seconds in all
    words += [w.title() for w in words[:2000]]
    assert differing(fast, words) == []


def test_word_key_is_the_rule_cascade_where_rules_meet(fast) -> None:
    """Random words over the letters the rules act on: runs and overlaps ("oou", "iie", "cck", "aae", "tsch")."""
    rng = random.Random(8)
    letters = "aeioucksqhtzxywjpv-'éSCHTÄŁЖ1"
    words = ["".join(rng.choices(letters, k=rng.randint(1, 12))) for _ in range(40_000)]
    assert differing(fast, words) == []
