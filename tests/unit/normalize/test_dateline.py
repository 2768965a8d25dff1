"""parse_dateline: wire datelines in six languages from a fixture table, and no false positives on first sentences."""

from __future__ import annotations

import pytest

from pipeline.model import Dateline
from pipeline.transforms.normalize import parse_dateline
from pipeline.transforms.normalize.dateline import normalize_city
from tests.unit.normalize.tables import lines, rows

DATELINES = rows("datelines.tsv", 6)


@pytest.mark.parametrize(("text", "city", "city_normalized", "date_text", "agency", "rest"), DATELINES)
def test_dateline_table(text, city, city_normalized, date_text, agency, rest):
    dateline, body = parse_dateline(text)
    assert dateline == Dateline(
        city=city, city_normalized=city_normalized, date_text=date_text, agency=agency
    )
    assert body == rest


@pytest.mark.parametrize("text", lines("not_datelines.txt"))
def test_ordinary_first_sentences_have_no_dateline(text):
    assert parse_dateline(text) == (None, text)


@pytest.mark.parametrize(
    ("city", "normalized"),
    [
        ("KYIV", "Kyiv"),
        ("NEW YORK", "New York"),
        ("RIO DE JANEIRO", "Rio de Janeiro"),
        ("SÃO PAULO", "São Paulo"),
        ("ST. LOUIS", "St. Louis"),
        ("COEUR D'ALENE", "Coeur d'Alene"),
        ("AIX-EN-PROVENCE", "Aix-en-Provence"),
        ("WINSTON-SALEM", "Winston-Salem"),
        ("Caracas", "Caracas"),
    ],
)
def test_normalize_city(city, normalized):
    assert normalize_city(city) == normalized


def test_dateline_must_come_first_and_be_short():
    late = "The president said on Monday in a long speech to parliament that nothing would change, KYIV (Reuters) - x"
    assert parse_dateline(late)[0] is None
    assert parse_dateline("") == (None, "")
    assert parse_dateline("KYIV") == (None, "KYIV")
