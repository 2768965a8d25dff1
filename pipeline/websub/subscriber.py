"""Subscription requests to hubs: ``lifecycle.plan``'s actions -> HTTP POSTs -> stored subscription state.

In: the feed list (poller state), the links polls recorded, the stored subscriptions, the time.  Out: subscribe,
renew and unsubscribe requests (WebSub 5.1: ``hub.mode``, ``hub.topic``, ``hub.callback``, ``hub.lease_seconds``,
``hub.secret``), state changes, and the feed's next poll moved to now whenever push stops (polling takes over).
The row is written before the request: hubs often verify intent before they answer it.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
import time
from collections.abc import Callable

import httpx

from pipeline.poller.metrics import event
from pipeline.poller.state import StateStore
from pipeline.websub.lifecycle import Action, Policy, Subscription, plan
from pipeline.websub.metrics import WebSubMetrics
from pipeline.websub.store import WebSubStore


class Subscriber:
    def __init__(
        self,
        client: httpx.Client,
        state: StateStore,
        store: WebSubStore,
        metrics: WebSubMetrics,
        policy: Policy,
        callback_base: str,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        self.client, self.state, self.store, self.metrics = client, state, store, metrics
        self.policy, self.callback_base = policy, callback_base.rstrip("/")
        self.clock, self.rng = clock, rng or random.Random()

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def callback_url(self, sub: Subscription) -> str:
        return f"{self.callback_base}/{sub.token}"

    def tick(self) -> list[Action]:
        """Review every subscription once; returns what was done (for logs and tests)."""
        feeds = {f.url for f in self.state.feeds()}
        subs = {s.feed_url: s for s in self.store.subscriptions()}
        actions = plan(feeds, self.store.links(), subs, self._now_ms(), self.policy)
        for action in actions:
            getattr(self, f"_{action.kind}")(action, subs.get(action.feed_url))
        self.metrics.set_states(self.store.counts())
        return actions

    def poll_now(self, feed_url: str) -> None:
        """Push stopped for this feed: poll it at once rather than at the slow safety-net pace."""
        feed, now_ms = self.state.feed(feed_url), self._now_ms()
        if feed is not None and feed.next_poll_ms > now_ms:
            self.state.reschedule(feed.id, now_ms)

    # -- the actions ------------------------------------------------------------------------------------------
    def _subscribe(self, a: Action, old: Subscription | None) -> None:
        sub = Subscription(
            a.feed_url, a.hub, a.topic, secrets.token_urlsafe(24), secrets.token_hex(32), "pending",
            requested_ms=self._now_ms(), next_action_ms=self._now_ms() + int(self.policy.verify_timeout_s * 1000),
            failures=old.failures if old else 0,
        )  # fmt: skip
        self.store.put(sub)
        self._request(sub, "subscribe")

    def _renew(self, a: Action, sub: Subscription | None) -> None:
        assert sub is not None
        now_ms = self._now_ms()
        sub = self.store.update(
            sub.feed_url,
            sub.token,
            requested_ms=now_ms,
            next_action_ms=now_ms + int(self.policy.verify_timeout_s * 1000),
        )
        if sub is not None:
            self._request(sub, "subscribe")

    def _unsubscribe(self, a: Action, sub: Subscription | None) -> None:
        assert sub is not None
        now_ms = self._now_ms()
        sub = dataclasses.replace(
            sub,
            state="unsubscribing",
            requested_ms=now_ms,
            next_action_ms=now_ms + int(self.policy.verify_timeout_s * 1000),
        )
        self.store.put(sub)
        if not self._request(sub, "unsubscribe"):
            self.store.delete(sub.feed_url, sub.token)  # the hub is away: the lease will lapse on its own

    def _expire(self, a: Action, sub: Subscription | None) -> None:
        assert sub is not None
        self.store.update(sub.feed_url, sub.token, state="expired", last_error="lease ran out unrenewed")
        event("websub_expired", feed=sub.feed_url, hub=sub.hub)
        self.poll_now(sub.feed_url)

    def _timeout(self, a: Action, sub: Subscription | None) -> None:
        assert sub is not None
        self._failed(sub, f"no verification of intent within {self.policy.verify_timeout_s:.0f}s")

    def _forget(self, a: Action, sub: Subscription | None) -> None:
        self.store.delete(a.feed_url)

    # -- talking to the hub -----------------------------------------------------------------------------------
    def _request(self, sub: Subscription, mode: str) -> bool:
        form = {"hub.mode": mode, "hub.topic": sub.topic, "hub.callback": self.callback_url(sub)}
        if mode == "subscribe":
            form["hub.lease_seconds"] = str(int(self.policy.lease_s))
            form["hub.secret"] = sub.secret
        try:
            resp = self.client.post(sub.hub, data=form)
            error = None if 200 <= resp.status_code < 300 else f"hub answered HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # the SSRF guard refusing the hub's address, and the like
            error = f"{type(exc).__name__}: {exc}"
        self.metrics.hub_requests.labels(mode, "ok" if error is None else "error").inc()
        event("websub_request", feed=sub.feed_url, hub=sub.hub, mode=mode, error=error)
        if error is not None and mode == "subscribe":
            self._failed(sub, error)
        return error is None

    def _failed(self, sub: Subscription, error: str) -> None:
        """A subscribe or renewal failed.  A renewal keeps the running lease; a first subscription falls back."""
        current = self.store.by_feed(sub.feed_url)
        if current is None or current.token != sub.token:
            return
        failures = current.failures + 1
        retry_at = self._now_ms() + self.policy.retry_ms(failures, self.rng.random())
        if current.pushed(self._now_ms()):  # still active: try again before the lease runs out
            self.store.update(
                sub.feed_url, sub.token, failures=failures, last_error=error[:500], next_action_ms=retry_at
            )
            return
        self.store.update(
            sub.feed_url,
            sub.token,
            state="failed",
            failures=failures,
            last_error=error[:500],
            next_action_ms=retry_at,
        )
        self.poll_now(sub.feed_url)
