"""WebSub wired up for one process: store + subscriber + callback server + ingest, and the poller's hook.

In: ``PollerSettings`` (the ``websub_*`` ones), Kafka settings and topics.  Out: a running callback server, a
thread reviewing subscriptions every ``websub_tick_s``, and ``on_polled`` for ``Poller(on_polled=...)``: it records
the hub/self links each poll saw and stretches the next poll of a pushed feed to the safety-net interval.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from pipeline.poller.fetch import FetchResult, build_client
from pipeline.poller.metrics import event
from pipeline.poller.parse import ParsedFeed
from pipeline.poller.publish import Publisher
from pipeline.poller.runner import Poller
from pipeline.poller.settings import PollerSettings
from pipeline.poller.state import StateStore
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.discover import discover
from pipeline.websub.ingest import Ingested, PushIngest
from pipeline.websub.lifecycle import Answer, Policy, Subscription, answer
from pipeline.websub.metrics import WebSubMetrics
from pipeline.websub.server import CallbackServer
from pipeline.websub.store import WebSubStore
from pipeline.websub.subscriber import Subscriber


def policy_from(settings: PollerSettings) -> Policy:
    return Policy(
        lease_s=settings.websub_lease_s,
        renew_at=settings.websub_renew_at,
        verify_timeout_s=settings.websub_verify_timeout_s,
        retry_s=settings.websub_retry_s,
        retry_max_s=settings.backoff_max_s,
    )


def _lease(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class PollHook:
    """``Poller(on_polled=...)``: record the hub/self links each poll saw; pushed feeds poll at the safety pace."""

    def __init__(self, store: WebSubStore, safety_interval_s: float):
        self.store, self.safety_ms = store, int(safety_interval_s * 1000)

    def __call__(
        self, feed_url: str, result: FetchResult, parsed: ParsedFeed | None, now_ms: int, next_poll_ms: int
    ) -> int:
        try:
            if parsed is not None:  # a 304 or an unchanged body says nothing new about links
                links = discover(result.links, parsed.hubs, parsed.self_url)
                if self.store.record_links(feed_url, links, now_ms):
                    event(
                        "websub_links", feed=feed_url, hubs=" ".join(links.hubs) or None, self=links.self_url
                    )
            sub = self.store.by_feed(feed_url)
        except sqlite3.Error as exc:  # never let WebSub's bookkeeping stop a poll: the next one records again
            event("websub_links_failed", feed=feed_url, error=f"{type(exc).__name__}: {exc}")
            return next_poll_ms
        if sub is not None and sub.pushed(now_ms):
            return max(next_poll_ms, now_ms + self.safety_ms)
        return next_poll_ms


class WebSub:
    """Start with ``start()`` (or as a context manager); ``callback_base`` is what hubs are told to call."""

    def __init__(
        self,
        settings: PollerSettings,
        kafka: KafkaSettings,
        topics: TopicSettings,
        *,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.settings, self.clock, self.rng = settings, clock, rng or random.Random()
        self.metrics = WebSubMetrics(registry)
        self.state = StateStore(settings.state_path)
        self.store = WebSubStore(settings.state_path)
        self.publisher = Publisher(kafka, topics, settings.delivery_timeout_s)
        self.ingest_path = PushIngest(self.state, self.store, self.publisher, self.metrics, clock, monotonic)
        self.policy = policy_from(settings)
        self.server = CallbackServer(
            self,
            self.metrics,
            settings.websub_host,
            settings.websub_port,
            settings.websub_max_body_bytes,
            monotonic,
        )
        base = settings.websub_callback_url or f"http://{settings.websub_host}:{self.server.port}/websub"
        self.callback_base = base.rstrip("/")
        self.client = build_client(settings)
        self.subscriber = Subscriber(
            self.client,
            self.state,
            self.store,
            self.metrics,
            self.policy,
            self.callback_base,
            clock,
            self.rng,
        )
        self.hook = PollHook(self.store, settings.websub_safety_interval_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self, review: bool = True) -> WebSub:
        """Serve callbacks; with ``review``, also review subscriptions every ``websub_tick_s`` in a thread."""
        self.server.start()
        if review:
            self._thread = threading.Thread(target=self._loop, name="websub-subscriber", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.subscriber.tick()
            except Exception as exc:  # the state file busy, a bug: log it, try again next tick
                event("websub_tick_failed", error=f"{type(exc).__name__}: {exc}")
            self._stop.wait(self.settings.websub_tick_s)

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        self.server.stop()
        self.client.close()
        self.publisher.close()
        self.store.close()
        self.state.close()

    def __enter__(self) -> WebSub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def on_polled(self) -> PollHook:
        return self.hook

    # -- the server's callbacks -------------------------------------------------------------------------------
    def subscription(self, token: str) -> Subscription | None:
        return self.store.by_token(token)

    def verification(self, token: str, params: dict[str, str]) -> Answer:
        sub = self.store.by_token(token)
        now_ms = int(self.clock() * 1000)
        ans = answer(
            sub,
            params.get("hub.mode", ""),
            params.get("hub.topic", ""),
            params.get("hub.challenge", ""),
            _lease(params.get("hub.lease_seconds")),
            params.get("hub.reason"),
            now_ms,
            self.policy,
            self.rng.random(),
        )
        if sub is not None:
            if ans.poll_now:  # first, so whoever sees the new state sees the feed handed back to polling
                self.subscriber.poll_now(sub.feed_url)
            if ans.update is not None:
                self.store.put(ans.update)
            elif ans.delete:
                self.store.delete(sub.feed_url, sub.token)
            event("websub_verification", feed=sub.feed_url, mode=params.get("hub.mode"), answer=ans.outcome)
        return ans

    def ingest(self, sub: Subscription, body: bytes, content_type: str, received: float) -> Ingested:
        return self.ingest_path.push(sub, body, content_type, received)


def attach(
    poller: Poller, settings: PollerSettings, kafka: KafkaSettings, topics: TopicSettings, serve: bool
) -> contextlib.AbstractContextManager[object]:
    """Hook WebSub into a poller: always record links (and pace pushed feeds); with ``serve``, also run the
    callback server and the subscription reviews in this process, metrics in the poller's registry."""
    if serve:
        websub = WebSub(settings, kafka, topics, registry=poller.metrics.registry).start()
        poller.on_polled = websub.on_polled
        return contextlib.closing(websub)
    store = WebSubStore(settings.state_path)
    poller.on_polled = PollHook(store, settings.websub_safety_interval_s)
    return contextlib.closing(store)
