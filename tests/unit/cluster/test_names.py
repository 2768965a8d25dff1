"""word_key is names.RULES applied in order: the faster implementation gives the cascade's key on every word."""

from __future__ import annotations

import random
import re

import pytest
from anyascii import anyascii

from pipeline.transforms.cluster.names import _ENDING, RULES, word_key

CASCADE = tuple((re.compile(p), r) for p, r in RULES)


def by_rules(word: str) -> str:
    key = anyascii(word).lower()
    for pattern, repl in CASCADE:
        key = pattern.sub(repl, key)
    stem = _ENDING.sub("", key)
    return stem if len(stem) >= 3 else key


def differing(words: list[str]) -> list[tuple[str, str, str]]:
    fast = word_key.__wrapped__  # not the cache: every word computed
    return [(w, fast(w), by_rules(w)) for w in words if fast(w) != by_rules(w)]


@pytest.mark.parametrize("lang", ["en", "fr", "de", "es", "it", "pl", "pt", "ru", "tr"])
def test_word_key_is_the_rule_cascade_on_a_language_vocabulary(lang: str) -> None:
    from wordfreq import get_frequency_dict

    words = list(get_frequency_dict(lang, wordlist="small"))[::3]  # every third: a few seconds in all
    words += [w.title() for w in words[:2000]]
    assert differing(words) == []


def test_word_key_is_the_rule_cascade_where_rules_meet() -> None:
    """Random words over the letters the rules act on: runs and overlaps ("oou", "iie", "cck", "aae", "tsch")."""
    rng = random.Random(8)
    letters = "aeioucksqhtzxywjpv-'é"
    words = ["".join(rng.choices(letters, k=rng.randint(1, 12))) for _ in range(40_000)]
    assert differing(words) == []
