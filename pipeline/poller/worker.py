"""One feed, in a worker thread: robots.txt and per-host limits -> conditional fetch -> parse.

In: a ``FeedState`` (URL, stored validators, last body hash).  Out: ``Polled``: the fetch result and the parsed
feed, or a deferral when the host asked us to wait.  No Kafka and no state writes here: the runner decides.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from pipeline.poller import schedule
from pipeline.poller.fetch import FetchResult, fetch
from pipeline.poller.metrics import PollerMetrics
from pipeline.poller.parse import ParsedFeed, parse_feed
from pipeline.poller.polite import HostCoolingDown, HostGate, RobotsCache, host_of
from pipeline.poller.settings import PollerSettings
from pipeline.poller.state import FeedState

log = logging.getLogger(__name__)


@dataclass
class Polled:
    """What a worker thread brings back for one feed."""

    feed: FeedState
    started_ms: int
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    body_sha: str | None = None
    unchanged_body: bool = False  # 200 with the very bytes we had: the server ignored our validators
    deferred_until: float | None = None  # monotonic seconds
    defer_reason: str | None = None


class FeedWorker:
    """Shared by the worker threads; holds nothing per feed."""

    def __init__(
        self,
        client: httpx.Client,
        settings: PollerSettings,
        gate: HostGate,
        metrics: PollerMetrics,
        clock: Callable[[], float],
        monotonic: Callable[[], float],
    ):
        self.client, self.settings, self.gate, self.metrics = client, settings, gate, metrics
        self.clock, self.monotonic = clock, monotonic
        self.robots = RobotsCache(
            self._robots_text, settings.user_agent, settings.robots_ttl_s, clock=monotonic
        )

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _robots_text(self, url: str) -> tuple[int | None, str]:
        r = fetch(self.client, url, self.settings.model_copy(update={"max_body_bytes": 512 * 1024}))
        status = 403 if r.error_kind in ("blocked", "scheme") else r.status
        return status, r.body.decode("utf-8", "replace")

    def poll(self, feed: FeedState) -> Polled:
        try:
            return self._poll(feed)
        except Exception as exc:  # a bug or a parser crash on one feed must not stop the others
            log.exception("poll of %s failed unexpectedly", feed.url)
            error = FetchResult(url=feed.url, error=f"{type(exc).__name__}: {exc}", error_kind="internal")
            return Polled(feed, self._now_ms(), error)

    def _poll(self, feed: FeedState) -> Polled:
        polled = Polled(feed, self._now_ms())
        self.metrics.lag.observe(max(0.0, (polled.started_ms - feed.next_poll_ms) / 1000.0))
        host = host_of(feed.url)
        try:
            if self.settings.respect_robots and not self.robots.allowed(feed.url):
                polled.result = FetchResult(
                    feed.url, error="robots.txt disallows this URL", error_kind="robots"
                )
                return polled
            with self.gate.slot(host):
                t0 = self.monotonic()
                polled.result = fetch(
                    self.client, feed.url, self.settings, feed.etag, feed.last_modified, now=self.monotonic
                )
                self.metrics.fetch_seconds.observe(self.monotonic() - t0)
        except HostCoolingDown as cool:
            polled.deferred_until, polled.defer_reason = cool.until, "cooling_down"
            return polled
        r = polled.result
        if r.status in (429, 503):
            wait = schedule.parse_retry_after(r.retry_after, self.clock())
            if wait is not None:
                self.gate.cool_down(host, min(wait, self.settings.backoff_max_s))
        if r.ok:
            polled.body_sha = hashlib.sha256(r.body).hexdigest()
            if polled.body_sha == feed.body_sha:
                polled.unchanged_body = True
                return polled
            headers = dict(r.headers)
            if r.url != feed.url and "content-location" not in headers:
                headers["content-location"] = (
                    r.url
                )  # relative links resolve against where the bytes came from
            polled.parsed = parse_feed(r.body, headers, feed.url, self._now_ms(), http_status=r.status)
        return polled
