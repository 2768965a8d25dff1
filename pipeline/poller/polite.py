"""Politeness towards each host: a concurrency limit, a token bucket, Retry-After cool-downs, robots.txt.

In: the host of the next request (and, for robots, a way to fetch ``/robots.txt``).  Out: permission to send it
now, a wait, or a ``HostCoolingDown`` telling the caller to reschedule.  Time comes from injected functions.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.robotparser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.poller.state import FeedState


class HostCoolingDown(Exception):
    """The host asked us to wait (429/503 Retry-After) until ``until`` (monotonic seconds)."""

    def __init__(self, host: str, until: float):
        super().__init__(f"{host} asked us to wait")
        self.host, self.until = host, until


def host_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class HostGate:
    """Per-host limits shared by all worker threads."""

    def __init__(
        self,
        concurrency: int,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.concurrency, self.rate, self.burst = concurrency, rate, burst
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._cooling: dict[str, float] = {}

    def cool_down(self, host: str, seconds: float) -> None:
        with self._lock:
            until = self.clock() + seconds
            self._cooling[host] = max(until, self._cooling.get(host, 0.0))

    def cooling_until(self, host: str) -> float | None:
        with self._lock:
            until = self._cooling.get(host)
            if until is not None and until <= self.clock():
                del self._cooling[host]
                return None
            return until

    def _take_token(self, host: str) -> float:
        """Take a token if one is there (returns 0), else how long until one is."""
        with self._lock:
            now = self.clock()
            b = self._buckets.setdefault(host, _Bucket(float(self.burst), now))
            b.tokens = min(float(self.burst), b.tokens + (now - b.stamp) * self.rate)
            b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / self.rate

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's connection slots and one token for the duration of a request."""
        until = self.cooling_until(host)
        if until is not None:
            raise HostCoolingDown(host, until)
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        with sem:
            while (wait := self._take_token(host)) > 0:
                self.sleep(wait)
            yield


def interleave_by_host(feeds: list[FeedState]) -> list[FeedState]:
    """Round-robin over hosts (keeping each host's order), so workers are not all queued behind one host's limit."""
    by_host: dict[str, list[FeedState]] = {}
    for f in feeds:
        by_host.setdefault(host_of(f.url), []).append(f)
    queues = list(by_host.values())
    out: list[FeedState] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


class RobotsCache:
    """robots.txt per host, fetched through the same guarded client and cached for ``ttl_s``.

    As Google and RFC 9309 do: a 4xx robots.txt means everything is allowed; a 5xx or a network error means
    nothing is (for now), so an unreachable host is not hammered.
    """

    def __init__(
        self,
        fetch_text: Callable[[str], tuple[int | None, str]],
        agent: str,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.fetch_text, self.agent, self.ttl_s, self.clock = fetch_text, agent, ttl_s, clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._fetching: dict[str, threading.Lock] = {}

    def allowed(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            origin_lock = self._fetching.setdefault(origin, threading.Lock())
        with origin_lock:  # one fetch per origin, however many workers ask at once
            return self._allowed(origin, url)

    def _allowed(self, origin: str, url: str) -> bool:
        with self._lock:
            hit = self._cache.get(origin)
        if hit is None or hit[0] < self.clock():
            rp = urllib.robotparser.RobotFileParser()
            status, text = self.fetch_text(origin + "/robots.txt")
            if status is not None and 200 <= status < 300:
                rp.parse(text.splitlines())
            elif status is not None and 400 <= status < 500:
                rp.allow_all = True
            else:
                rp.disallow_all = True
            hit = (self.clock() + (self.ttl_s if status is not None and status < 500 else 600.0), rp)
            with self._lock:
                self._cache[origin] = hit
        return hit[1].can_fetch(self.agent, url)
