from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.poller import schedule
from pipeline.poller.schedule import Bounds, Hints

B = Bounds(default_s=900, min_s=300, max_s=4 * 3600)


@pytest.mark.parametrize(
    ("configured", "hints", "adaptive", "new", "observed", "expected"),
    [
        (None, Hints(), False, 0, 0, 900),  # default
        (60, Hints(), False, 0, 0, 300),  # clamped to min
        (10 * 3600, Hints(), False, 0, 0, 4 * 3600),  # clamped to max
        (None, Hints(ttl_s=3600), True, 0, 0, 3600),  # ttl is a floor
        (None, Hints(max_age_s=1200, update_period_s=600), True, 0, 0, 1200),
        (None, Hints(), True, 0, 3600, 900),  # under a day of history: default
        (None, Hints(), True, 0, 7 * 86400, 4 * 3600),  # a silent week: max
        (None, Hints(), True, 7 * 24, 7 * 86400, 1800),  # one entry an hour: every half hour
        (None, Hints(), True, 10_000, 7 * 86400, 300),  # very busy: min
        (600, Hints(ttl_s=3600), False, 0, 0, 600),  # configured, not adaptive: the user's interval
        (600, Hints(ttl_s=3600), True, 0, 0, 3600),  # adaptive: the publisher's floor still applies
    ],
)
def test_success_interval(configured, hints, adaptive, new, observed, expected):
    assert schedule.success_interval(configured, B, hints, adaptive, new, observed) == pytest.approx(expected)


def test_backoff_grows_caps_and_never_stops():
    delays = [schedule.backoff_s(n, 60, 86400, rand=0.999999) for n in range(1, 40)]
    assert delays[0] == pytest.approx(60, rel=1e-3)
    assert delays[1] == pytest.approx(120, rel=1e-3)
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) <= 86400 and delays[-1] > 40000  # capped, still polling


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=0.999999))
def test_backoff_jitter_bounds(n, rand):
    d = schedule.backoff_s(n, 60, 86400, rand)
    full = min(86400, 60 * 2 ** min(n - 1, 40))
    assert full * 0.5 <= d <= full


def test_retry_after_seconds_and_date():
    now = 1_700_000_000.0
    assert schedule.parse_retry_after("120", now) == 120
    date = email.utils.formatdate(now + 300, usegmt=True)
    assert schedule.parse_retry_after(date, now) == pytest.approx(300, abs=1)
    assert schedule.parse_retry_after(email.utils.formatdate(now - 300, usegmt=True), now) == 0
    assert schedule.parse_retry_after("soon", now) is None
    assert schedule.parse_retry_after(None, now) is None


def test_after_error_honours_retry_after():
    assert schedule.after_error(1, 3600, 60, 86400, rand=0.0) == 3600
    assert schedule.after_error(1, 10 * 86400, 60, 86400, rand=0.0) == 86400  # capped
    assert schedule.after_error(1, None, 60, 86400, rand=0.0) == 30


@given(st.floats(min_value=1, max_value=1e6), st.floats(min_value=0, max_value=1))
def test_jitter_stays_within_ten_percent(interval, rand):
    assert 0.9 * interval - 1e-6 <= schedule.jitter(interval, rand) <= 1.1 * interval + 1e-6
