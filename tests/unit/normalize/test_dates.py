"""parse_date and header dates: zones honoured, precision kept, future dates clamped and flagged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.model import Timestamp
from pipeline.transforms.normalize import parse_date
from pipeline.transforms.normalize.dates import FUTURE_SKEW_MS, split_header_date
from tests.unit.normalize.tables import NOW_MS, rows


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(("raw", "iso", "precision", "clamped"), rows("dates.tsv", 4))
def test_date_table(raw, iso, precision, clamped):
    ts = parse_date(raw, now_ms=NOW_MS)
    if iso is None:
        assert ts is None
    else:
        assert ts == Timestamp(millis=_millis(iso), precision=precision, clamped=clamped == "true")


def test_skew_boundary():
    assert parse_date("2022-12-19T12:10:00Z", now_ms=NOW_MS).clamped is False  # exactly the allowed skew
    assert FUTURE_SKEW_MS == 10 * 60 * 1000
    assert parse_date("2022-12-19T12:10:01Z", now_ms=NOW_MS).clamped is True


def test_parse_date_is_deterministic_given_now():
    assert parse_date("2030-01-01", now_ms=0) == Timestamp(millis=0, precision="day", clamped=True)


@pytest.mark.parametrize(("text", "iso", "precision", "rest"), rows("header_dates.tsv", 4))
def test_header_date_table(text, iso, precision, rest):
    ts, remaining = split_header_date(text, now_ms=NOW_MS)
    if iso is None:
        assert (ts, remaining) == (None, text)
    else:
        assert ts == Timestamp(millis=_millis(iso), precision=precision)
        assert remaining == (rest or "")
