"""Subscription decisions (pure): what to do when, and how a verification of intent is answered."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.websub.discover import Links
from pipeline.websub.lifecycle import Action, Policy, Subscription, answer, plan, renew_due_ms

POLICY = Policy(lease_s=1000.0, renew_at=0.8, verify_timeout_s=60.0, retry_s=100.0, retry_max_s=10_000.0)
FEED, HUB, SELF = "http://127.0.0.1/f.atom", "http://127.0.0.1/hub", "http://127.0.0.1/self.atom"
LINKS = {FEED: Links((HUB,), SELF)}
T0 = 1_000_000


def sub(**kw: object) -> Subscription:
    base = Subscription(
        FEED, HUB, SELF, "tok", "secret", "pending", requested_ms=T0, next_action_ms=T0 + 60_000
    )
    return dataclasses.replace(base, **kw)


def active(**kw: object) -> Subscription:
    base = dict(
        state="active", lease_s=1000.0, verified_ms=T0 + 10, expires_ms=T0 + 10 + 1_000_000, next_action_ms=0
    )
    return sub(**{**base, **kw})


def test_a_feed_with_a_hub_is_subscribed_with_its_self_url_as_topic() -> None:
    assert plan({FEED}, LINKS, {}, T0, POLICY) == [Action("subscribe", FEED, HUB, SELF)]
    assert plan({FEED}, {FEED: Links((HUB,))}, {}, T0, POLICY) == [Action("subscribe", FEED, HUB, FEED)]
    assert plan({FEED}, {FEED: Links()}, {}, T0, POLICY) == []
    assert plan({FEED}, {}, {}, T0, POLICY) == []


def test_pending_times_out_only_after_the_verification_wait() -> None:
    s = {FEED: sub()}
    assert plan({FEED}, LINKS, s, T0 + 59_999, POLICY) == []
    assert plan({FEED}, LINKS, s, T0 + 60_000, POLICY) == [Action("timeout", FEED)]


def test_renewal_comes_at_the_share_of_the_lease_then_expiry() -> None:
    s = active()
    due = renew_due_ms(s, POLICY)
    assert due == T0 + 10 + 800_000
    assert plan({FEED}, LINKS, {FEED: s}, due - 1, POLICY) == []
    assert plan({FEED}, LINKS, {FEED: s}, due, POLICY) == [Action("renew", FEED, HUB, SELF)]
    waiting = dataclasses.replace(
        s, requested_ms=due, next_action_ms=due + 60_000
    )  # renewal sent, not verified
    assert plan({FEED}, LINKS, {FEED: waiting}, due + 1, POLICY) == []
    assert plan({FEED}, LINKS, {FEED: waiting}, s.expires_ms, POLICY) == [Action("expire", FEED)]


def test_a_removed_feed_is_unsubscribed_then_forgotten() -> None:
    assert plan(set(), LINKS, {FEED: active()}, T0, POLICY) == [Action("unsubscribe", FEED, HUB, SELF)]
    leaving = active(state="unsubscribing", requested_ms=T0 + 5, next_action_ms=T0 + 60_000)
    assert plan(set(), LINKS, {FEED: leaving}, T0 + 100, POLICY) == []
    assert plan(set(), LINKS, {FEED: leaving}, T0 + 60_000, POLICY) == [Action("forget", FEED)]
    assert plan(set(), LINKS, {FEED: sub(state="denied")}, T0, POLICY) == [Action("forget", FEED)]


@pytest.mark.parametrize("state", ["failed", "denied", "expired"])
def test_failed_denied_expired_retry_after_the_backoff(state: str) -> None:
    s = sub(state=state, next_action_ms=T0 + 5000)
    assert plan({FEED}, LINKS, {FEED: s}, T0 + 4999, POLICY) == []
    assert plan({FEED}, LINKS, {FEED: s}, T0 + 5000, POLICY) == [Action("subscribe", FEED, HUB, SELF)]


def test_a_hub_change_resubscribes_at_the_new_hub() -> None:
    moved = {FEED: Links(("http://127.0.0.1/new-hub",), SELF)}
    assert plan({FEED}, moved, {FEED: active()}, T0 + 20, POLICY) == [
        Action("subscribe", FEED, "http://127.0.0.1/new-hub", SELF)
    ]


def test_verification_echoes_only_our_own_request() -> None:
    ok = answer(sub(), "subscribe", SELF, "ch4ll", 500.0, None, T0 + 1, POLICY)
    assert (ok.status, ok.body, ok.outcome) == (200, b"ch4ll", "echoed")
    assert ok.update is not None and ok.update.state == "active"
    assert (ok.update.lease_s, ok.update.expires_ms, ok.update.verified_ms) == (
        500.0,
        T0 + 1 + 500_000,
        T0 + 1,
    )
    # no lease from the hub: the one we asked for
    assert answer(sub(), "subscribe", SELF, "c", None, None, T0, POLICY).update.lease_s == POLICY.lease_s
    refusals = [
        answer(None, "subscribe", SELF, "c", 500.0, None, T0, POLICY),  # unknown callback
        answer(sub(), "subscribe", "http://evil/topic", "c", 500.0, None, T0, POLICY),  # another topic
        answer(sub(), "unsubscribe", SELF, "c", None, None, T0, POLICY),  # we did not ask to unsubscribe
        answer(active(), "subscribe", SELF, "c", 500.0, None, T0 + 20, POLICY),  # verified already: a replay
        answer(sub(), "subscribe", SELF, "", 500.0, None, T0, POLICY),  # no challenge
        answer(sub(), "bogus", SELF, "c", None, None, T0, POLICY),
    ]
    assert [(a.status, a.update, a.delete, a.body.startswith(b"c")) for a in refusals] == [
        (404, None, False, False)
    ] * 6


def test_renewal_verification_extends_the_lease() -> None:
    renewing = dataclasses.replace(active(), requested_ms=T0 + 800_000)
    a = answer(renewing, "subscribe", SELF, "c", 1000.0, None, T0 + 800_005, POLICY)
    assert a.status == 200 and a.update.expires_ms == T0 + 800_005 + 1_000_000


def test_unsubscribe_and_denial() -> None:
    leaving = sub(state="unsubscribing")
    a = answer(leaving, "unsubscribe", SELF, "bye", None, None, T0, POLICY)
    assert (a.status, a.body, a.delete) == (200, b"bye", True)
    d = answer(active(), "denied", SELF, "", None, "spam", T0 + 50, POLICY, rand=0.5)
    assert d.status == 200 and d.poll_now and d.update.state == "denied" and d.update.failures == 1
    assert "spam" in d.update.last_error and d.update.expires_ms is None
    assert d.update.next_action_ms == T0 + 50 + POLICY.retry_ms(1, 0.5) > T0 + 50
    assert answer(active(), "denied", "http://other/", "", None, None, T0, POLICY).status == 404


def test_pushed_only_while_active_and_unexpired() -> None:
    s = active()
    assert s.pushed(s.expires_ms - 1) and not s.pushed(s.expires_ms)
    assert not sub().pushed(T0) and not dataclasses.replace(s, state="denied").pushed(T0)
