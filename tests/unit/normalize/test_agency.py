"""canonical_agency: aliases as written in datelines, bylines and credits -> one canonical name."""

from __future__ import annotations

import pytest

from pipeline.transforms.normalize import canonical_agency
from pipeline.transforms.normalize.agency import find_agency
from tests.unit.normalize.tables import rows


@pytest.mark.parametrize(("alias", "canonical"), rows("agencies.tsv", 2))
def test_agency_table(alias, canonical):
    assert canonical_agency(alias or "") == canonical


def test_find_agency_ignores_ambiguous_short_names_in_free_text():
    assert find_agency("Le Monde avec AFP") == "AFP"
    assert find_agency("a map of the area") is None  # "map" is also the Moroccan agency MAP
    assert find_agency("nothing here") is None
