"""German compound splitting for cluster keys, against wordfreq's real German word list."""

from __future__ import annotations

import pytest

from pipeline.transforms.cluster.compounds import split
from pipeline.transforms.cluster.names import word_key
from pipeline.transforms.cluster.tokens import PART_TIER, code_of, frequent, tokens


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("gesundheitsminister", ("gesundheit", "minister")),  # linking -s-
        ("impfstoffsuche", ("impfstoff", "suche")),
        ("flüchtlingslager", ("flüchtling", "lager")),
        ("coronakrise", ("corona", "krise")),
        ("sonnenenergie", ("sonne", "energie")),  # linking -n-
        ("kinderarzt", ("kinder", "arzt")),
    ],
)
def test_compounds_split_into_modifier_and_head(word: str, parts: tuple[str, str]) -> None:
    assert split(word, frequent("de")) == parts


@pytest.mark.parametrize(
    "word",
    [
        "unternehmen",  # common itself ("unter" + "nehmen" says nothing about a company)
        "regierung",
        "bundesregierung",
        "putin",  # short
        "autorikscha",  # "rikscha" is not a common German word
        "covid19test",  # not letters only
    ],
)
def test_common_short_or_unknown_words_stay_whole(word: str) -> None:
    assert split(word, frequent("de")) == ()


def test_a_german_record_counts_its_compounds_parts() -> None:
    """ "Gesundheitsminister" in one report and "Minister für Gesundheit" in another share two word keys; in English
    nothing is split, and a part is never rarer than tokens.PART_TIER (no blocking key, a middle weight)."""
    compound, _, tiers, _, _ = tokens("Der Gesundheitsminister verteidigt die Impfpflicht.", "de")
    spelled, _, _, _, _ = tokens("Der Minister für Gesundheit verteidigt die Impfpflicht.", "de")
    parts = {code_of(word_key("minister")), code_of(word_key("gesundheit"))}
    assert parts <= set(compound) and parts <= set(spelled)
    assert all(tiers[c] >= PART_TIER for c in parts)
    english, _, _, _, _ = tokens("The Gesundheitsminister defends the mandate.", "en")
    assert not parts & set(english)
