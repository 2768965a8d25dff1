"""Capped exponential back-off for waiting out a broker outage, and which Kafka errors are worth waiting for.

In: consecutive failures.  Out: how long to wait before the next attempt (0.5 s doubling to ``cap_s``, with
jitter), and how long this outage has lasted so far.  Pure apart from ``sleep``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from kafka import errors as kerr

# Errors that a bigger request or a retry cannot fix: the record itself is refused.
RECORD_REFUSED = (
    kerr.MessageSizeTooLargeError,
    kerr.RecordListTooLargeError,
    kerr.InvalidRecordError,
    kerr.CorruptRecordError,
)


def is_record_refused(exc: BaseException) -> bool:
    return isinstance(exc, RECORD_REFUSED)


class Backoff:
    def __init__(
        self,
        first_s: float = 0.5,
        cap_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ):
        self.first_s, self.cap_s, self._sleep, self._rand = first_s, cap_s, sleep, rand
        self.attempts = 0
        self.waited_s = 0.0

    @property
    def next_s(self) -> float:
        base = min(self.cap_s, self.first_s * (2**self.attempts))
        return base * (0.8 + 0.4 * self._rand())

    def sleep(self) -> float:
        delay = self.next_s
        self._sleep(delay)
        self.attempts += 1
        self.waited_s += delay
        return delay

    def reset(self) -> None:
        self.attempts = 0
        self.waited_s = 0.0
