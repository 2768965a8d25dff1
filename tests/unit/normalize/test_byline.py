"""parse_byline / read_byline: bylines and credit lines to ordered authors with roles; agencies are not authors."""

from __future__ import annotations

import pytest

from pipeline.model import Author
from pipeline.transforms.normalize import parse_byline
from pipeline.transforms.normalize.byline import clean_name, merge_authors, parse_feed_author, read_byline
from tests.unit.normalize.tables import lines, rows


def _authors(cell: str | None) -> tuple[Author, ...]:
    if not cell:
        return ()
    return tuple(Author(*item.split("/")) for item in cell.split("; "))


@pytest.mark.parametrize(("line", "authors", "agencies"), rows("bylines.tsv", 3))
def test_byline_table(line, authors, agencies):
    byline = read_byline(line)
    assert byline is not None
    assert byline.authors == _authors(authors)
    assert byline.agencies == (tuple(agencies.split(", ")) if agencies else ())
    assert parse_byline(line) == list(_authors(authors))


@pytest.mark.parametrize("line", lines("not_bylines.txt"))
def test_first_sentences_are_not_bylines(line):
    assert read_byline(line) is None
    assert parse_byline(line) == []


@pytest.mark.parametrize(
    ("value", "authors", "agencies"),
    [
        ("jane@example.com (Jane Doe)", ("Jane Doe",), ()),
        ("Jane Doe <jane@example.com>", ("Jane Doe",), ()),
        ("Valentyn Origienko, Tom Balmforth", ("Valentyn Origienko", "Tom Balmforth"), ()),
        ("Smith, K. T.", ("K. T. Smith",), ()),
        ("By LISA MASCARO, AP Congressional Correspondent", ("Lisa Mascaro",), ("AP",)),
        ("Reuters", (), ("Reuters",)),
        ("Le Monde avec AFP", (), ("AFP",)),
        ("Eolas", ("Eolas",), ()),
        ("admin", (), ()),
        ("Guardian sport", (), ()),
        ("", (), ()),
    ],
)
def test_feed_author_fields(value, authors, agencies):
    parsed = parse_feed_author(value)
    assert tuple(a.name for a in parsed.authors) == authors
    assert parsed.agencies == agencies


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("TED D'AFFLISIO", "Ted D'Afflisio"),
        ("Jean DUPONT", "Jean Dupont"),
        ("Scot W. Stevenson", "Scot W. Stevenson"),
        ("JOHN MCDONALD", "John McDonald"),
        ("Ursula von der Leyen", "Ursula von der Leyen"),
        ("Kyiv", None),
        ("the company", None),
        ("Staff Writer", None),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_merge_keeps_first_occurrence_and_order():
    byline = (Author("Valentyn Origienko"), Author("Tom Balmforth"))
    feed = (Author("tom balmforth"), Author("Jane Doe"))
    credits = (Author("Valentyn ORIGIENKO", "reporting"), Author("Kate Entringer", "editing"))
    assert merge_authors(byline, feed, credits) == (
        Author("Valentyn Origienko"),
        Author("Tom Balmforth"),
        Author("Jane Doe"),
        Author("Kate Entringer", "editing"),
    )
