"""Subscription lifecycle decisions.  Pure: no network, no database, time passed in.

In: the feed list, the hub/self links polls saw, the stored subscriptions and the time.  Out: ``plan`` -> the
actions to take (subscribe, renew, unsubscribe, expire, time out, forget); ``answer`` -> the reply to a hub's
verification of intent (WebSub 5.3) and what it changes.  States: pending (asked, not verified), active
(verified, lease running), unsubscribing, failed (hub error or no verification), denied (hub said no),
expired (lease ran out unrenewed).  Only an active, unexpired subscription slows polling down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from pipeline.poller import schedule
from pipeline.websub.discover import Links

STATES = ("pending", "active", "unsubscribing", "failed", "denied", "expired")


@dataclass(frozen=True)
class Subscription:
    feed_url: str  # the poller's feed URL: raw records carry it, so pushes and polls share identity
    hub: str
    topic: str  # hub.topic: the feed's self URL if it has one, else the feed URL
    token: str  # the last path segment of our callback URL: unguessable, one per subscription
    secret: str  # hub.secret: the HMAC key of X-Hub-Signature
    state: str = "pending"
    lease_s: float | None = None  # granted by the hub at verification
    requested_ms: int = 0  # last subscribe/unsubscribe request we sent
    verified_ms: int | None = None
    expires_ms: int | None = None
    next_action_ms: int = 0  # nothing is tried again before this (retry backoff, verification wait)
    failures: int = 0  # consecutive failed or denied requests
    last_error: str | None = None
    pushes: int = 0
    entries_sent: int = 0
    last_push_ms: int | None = None

    @property
    def awaiting(self) -> bool:
        """A request of ours the hub has not verified yet (a first subscription or a renewal)."""
        return self.requested_ms > (self.verified_ms or 0)

    def pushed(self, now_ms: int) -> bool:
        """The hub delivers for this feed now: polling may slow down to the safety-net pace."""
        return self.state == "active" and (self.expires_ms or 0) > now_ms


@dataclass(frozen=True)
class Policy:
    lease_s: float = 10 * 86400.0
    renew_at: float = 0.8
    verify_timeout_s: float = 300.0
    retry_s: float = 900.0
    retry_max_s: float = 86400.0

    def retry_ms(self, failures: int, rand: float = 0.5) -> int:
        return int(schedule.backoff_s(max(1, failures), self.retry_s, self.retry_max_s, rand) * 1000)


@dataclass(frozen=True)
class Action:
    kind: str  # subscribe | renew | unsubscribe | expire | timeout | forget
    feed_url: str
    hub: str = ""
    topic: str = ""


def plan(
    feeds: Collection[str],
    links: Mapping[str, Links],
    subs: Mapping[str, Subscription],
    now_ms: int,
    policy: Policy,
) -> list[Action]:
    """What to do now, one action per feed at most."""
    actions: list[Action] = []
    for url in sorted(set(feeds) | set(subs)):
        sub, found = subs.get(url), links.get(url)
        hub = found.hub if found else None
        topic = (found.self_url if found else None) or url
        if sub is None:
            if url in feeds and hub:
                actions.append(Action("subscribe", url, hub, topic))
            continue
        waited = now_ms >= sub.next_action_ms
        if url not in feeds:  # the feed was removed
            if sub.state in ("pending", "active"):
                actions.append(Action("unsubscribe", url, sub.hub, sub.topic))
            elif sub.state != "unsubscribing" or waited:
                actions.append(Action("forget", url))
        elif sub.state == "active":
            if (sub.expires_ms or 0) <= now_ms:
                actions.append(Action("expire", url))
            elif hub and hub != sub.hub and waited:  # the feed moved to another hub
                actions.append(Action("subscribe", url, hub, topic))
            elif waited and now_ms >= renew_due_ms(sub, policy):
                actions.append(Action("renew", url, sub.hub, sub.topic))
        elif sub.state == "pending":
            if waited:
                actions.append(Action("timeout", url))
        elif sub.state in ("failed", "denied", "expired") and waited and hub:
            actions.append(Action("subscribe", url, hub, topic))
    return actions


def renew_due_ms(sub: Subscription, policy: Policy) -> int:
    lease_s = sub.lease_s or policy.lease_s
    return (sub.verified_ms or 0) + int(lease_s * 1000 * policy.renew_at)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    update: Subscription | None = None  # the subscription as it is after this verification
    delete: bool = False  # an unsubscription we asked for was verified
    poll_now: bool = False  # the hub denied us: polling takes over at once
    outcome: str = "refused"  # echoed | denied | refused (for the metric)


def answer(
    sub: Subscription | None,
    mode: str,
    topic: str,
    challenge: str,
    lease_s: float | None,
    reason: str | None,
    now_ms: int,
    policy: Policy,
    rand: float = 0.5,
) -> Answer:
    """Reply to ``GET callback?hub.mode=...``: echo the challenge only for a request we made, else 404."""
    if sub is None or topic != sub.topic:
        return Answer(404, b"no such subscription")
    if mode == "subscribe" and sub.state in ("pending", "active") and sub.awaiting and challenge:
        lease = lease_s if lease_s and lease_s > 0 else policy.lease_s
        verified = dataclasses.replace(
            sub,
            state="active",
            lease_s=lease,
            verified_ms=now_ms,
            expires_ms=now_ms + int(lease * 1000),
            next_action_ms=0,
            failures=0,
            last_error=None,
        )
        return Answer(200, challenge.encode(), update=verified, outcome="echoed")
    if mode == "unsubscribe" and sub.state == "unsubscribing" and challenge:
        return Answer(200, challenge.encode(), delete=True, outcome="echoed")
    if mode == "denied":
        if sub.state == "unsubscribing":
            return Answer(200, delete=True, outcome="denied")
        failures = sub.failures + 1
        denied = dataclasses.replace(
            sub,
            state="denied",
            failures=failures,
            expires_ms=None,
            last_error=f"denied by the hub: {reason or 'no reason given'}"[:500],
            next_action_ms=now_ms + policy.retry_ms(failures, rand),
        )
        return Answer(200, update=denied, poll_now=True, outcome="denied")
    return Answer(404, b"not a request of ours")
