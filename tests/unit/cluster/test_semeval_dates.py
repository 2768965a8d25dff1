"""Estimated publication days of the SemEval articles (semeval_dates.py): link dates, story-id calibration."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.cluster.semeval_dates import Dates, link_day

BASE = dt.date(2020, 3, 1)


def _ordinal(day: dt.date) -> int:
    return day.toordinal()


@pytest.mark.parametrize(
    ("link", "day"),
    [
        ("https://www.vox.com/2020/1/22/21028914/germany-green-new-deal", dt.date(2020, 1, 22)),
        ("http://www.xinhuanet.com/english/2020-02/11/c_138772071.htm", dt.date(2020, 2, 11)),
        ("https://www.newsdeutschland.com/video/20200519/161217/Widerstand", dt.date(2020, 5, 19)),
        ("https://www.thestar.com/news/world/europe/2020/01/01/fire-kills-animals.html", dt.date(2020, 1, 1)),
    ],
)
def test_a_date_in_the_link_is_read(link: str, day: dt.date) -> None:
    assert link_day(link) == _ordinal(day)


@pytest.mark.parametrize(
    "link",
    [
        "https://www.stlucianewsonline.com/guyana-three-injured-after-car-crashes-into-utility-pole/",
        "https://example.com/2020/13/45/not-a-date",
        "https://example.com/story/1586893419",
    ],
)
def test_a_link_without_a_valid_date_gives_none(link: str) -> None:
    assert link_day(link) is None


def _articles() -> dict[int, str]:
    """Story ids 1000..1199 given out in order, ten a day from BASE; every other one has its date in its link."""
    out = {}
    for sid in range(1000, 1200):
        day = BASE + dt.timedelta(days=(sid - 1000) // 10)
        out[sid] = (
            f"https://news.example/{day:%Y/%m/%d}/story-{sid}" if sid % 2 == 0 else f"https://x.example/{sid}"
        )
    out[1104] = "https://news.example/2020/01/02/back-filled"  # ingested ~2 months after its date
    return out


def test_an_undated_article_gets_the_date_of_the_ids_around_it() -> None:
    dates = Dates(_articles().items())
    assert dates.day(1105) == _ordinal(BASE + dt.timedelta(days=10))
    assert dates.day(1000 + 10 * 7 + 3) == _ordinal(BASE + dt.timedelta(days=7))


def test_a_back_filled_link_keeps_its_own_date_and_is_left_out_of_the_calibration() -> None:
    dates = Dates(_articles().items())
    assert dates.day(1104) == _ordinal(dt.date(2020, 1, 2))
    assert 1104 not in dates.ids
    assert dates.by_id(1104) == _ordinal(BASE + dt.timedelta(days=10))


def test_ids_beyond_the_calibrated_ones_take_the_nearest_days() -> None:
    """The ten dated ids at either end span two days, five each: the median falls between them."""
    dates = Dates(_articles().items())
    assert dates.day(5) == _ordinal(BASE) + 0.5
    assert dates.day(10**9) == _ordinal(BASE + dt.timedelta(days=18)) + 0.5


def test_the_estimate_is_noon_utc_of_that_day() -> None:
    dates = Dates(_articles().items())
    noon = dt.datetime.combine(BASE + dt.timedelta(days=3), dt.time(12), tzinfo=dt.UTC)
    assert dates.published_ms(1031) == int(noon.timestamp() * 1000)


def test_too_few_dated_links_cannot_calibrate() -> None:
    with pytest.raises(ValueError, match="too few"):
        Dates([(1, "https://news.example/2020/03/01/a"), (2, "https://x.example/2")])
