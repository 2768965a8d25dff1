"""When to poll a feed next: pure functions of what the last poll saw, the feed's hints and the clock.

In: the outcome of one poll (success, 304, error count, Retry-After), the feed's configured interval, its hints
(RSS ``<ttl>``, ``sy:updatePeriod``, ``Cache-Control: max-age``) and its observed entry rate.  Out: a delay in
seconds.  No clock is read here: callers pass ``now`` and a random number, so tests are exact.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

WEEK_S = 7 * 24 * 3600.0
DAY_S = 24 * 3600.0


@dataclass(frozen=True)
class Bounds:
    default_s: float
    min_s: float
    max_s: float


@dataclass(frozen=True)
class Hints:
    """What the publisher says about how often to come back (all in seconds, None = not given)."""

    ttl_s: float | None = None
    update_period_s: float | None = None
    max_age_s: float | None = None

    def floor(self) -> float:
        return max((h for h in (self.ttl_s, self.update_period_s, self.max_age_s) if h), default=0.0)


def clamp(value: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, value))


def adaptive_interval(new_entries: int, observed_s: float, bounds: Bounds) -> float | None:
    """Interval from the entry rate, as miniflux's entry-frequency scheduler: about two polls per new entry.

    ``observed_s`` is how long we have watched the feed (at most a week); under a day of history says too little,
    so ``None`` (use the configured interval).  A feed silent for the whole window goes to the maximum.
    """
    if observed_s < DAY_S:
        return None
    if new_entries <= 0:
        return bounds.max_s
    return observed_s / new_entries / 2.0


def success_interval(
    configured_s: float | None,
    bounds: Bounds,
    hints: Hints,
    adaptive: bool,
    new_entries: int = 0,
    observed_s: float = 0.0,
) -> float:
    """The delay after a successful poll (200 or 304).

    A per-feed configured interval wins over adaptation; the publisher's hints are a floor (we never come back
    sooner than it asked); the global min/max bound the result.
    """
    base = configured_s
    if base is None and adaptive:
        base = adaptive_interval(new_entries, min(observed_s, WEEK_S), bounds)
    if base is None:
        base = bounds.default_s
    if adaptive or configured_s is None:
        base = max(base, hints.floor())
    return clamp(base, bounds.min_s, bounds.max_s)


def backoff_s(consecutive_errors: int, base_s: float, cap_s: float, rand: float) -> float:
    """Jittered exponential backoff: base * 2^(n-1), capped, then a random factor in [0.5, 1.0).

    It never gives up: after the cap is reached the feed keeps being tried at roughly the cap.
    """
    n = max(1, consecutive_errors)
    exp = base_s * (2.0 ** min(n - 1, 40))
    return min(cap_s, exp) * (0.5 + 0.5 * rand)


def jitter(interval_s: float, rand: float, spread: float = 0.1) -> float:
    """Spread polls by +-``spread`` so feeds added together do not stay in lockstep."""
    return interval_s * (1.0 + spread * (2.0 * rand - 1.0))


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Retry-After as seconds from ``now_s``: delta-seconds or an HTTP-date; ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now_s)


def after_error(
    consecutive_errors: int, retry_after_s: float | None, base_s: float, cap_s: float, rand: float
) -> float:
    """The delay after a failed poll: the backoff, but never sooner than a Retry-After the server sent."""
    delay = backoff_s(consecutive_errors, base_s, cap_s, rand)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, cap_s))
    return delay
