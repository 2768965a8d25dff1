"""clean_headline: repaired text, wire update markers stripped and kept as the revision hint."""

from __future__ import annotations

import pytest

from pipeline.transforms.normalize import clean_headline
from pipeline.transforms.normalize.headline import split_headline
from tests.unit.normalize.tables import rows


@pytest.mark.parametrize(("title", "headline", "hint"), rows("headlines.tsv", 3))
def test_headline_table(title, headline, hint):
    assert clean_headline(title) == (headline, hint)


def test_trailing_agency_credit_is_split_off():
    assert split_headline("Wall St. Bears Claw Back Into the Black (Reuters)").agency == "Reuters"
    assert split_headline("Oil steadies - Reuters").agency == "Reuters"
    assert split_headline("Title - Le Monde") == ("Title - Le Monde", None, None)


def test_empty_titles():
    assert clean_headline(None) == ("", None)
    assert clean_headline("") == ("", None)


def test_french_spacing_in_headlines():
    assert split_headline("COP15 : un accord « historique » !", french=True).headline == (
        "COP15\u00a0: un accord «\u00a0historique\u00a0»\u00a0!"
    )
