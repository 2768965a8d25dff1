"""WebSub on real parts: the loopback hub (websub_hub.py), the devserver's feed, the callback server, the real broker.

Subscribe -> verify -> push -> one raw record per entry whichever way it came in; forged, unsigned, oversized and
misaddressed pushes refused; renewal; hub down and denial hand the feed back to polling; removal unsubscribes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.poller.fetch import build_client
from pipeline.poller.runner import Poller
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.service import WebSub
from pipeline.websub.signature import sign
from tests.integration.websub_hub import LoopbackHub, feed_body, wait_for
from tests.support import Clock

pytestmark = pytest.mark.integration


def raw_titles(kafka: KafkaSettings, topic: str) -> list[str]:
    return [r["title"] for r in read_topic(kafka, ConsumeOptions(topic=topic, idle_timeout_s=1.5))]


@dataclasses.dataclass
class Env:
    clock: Clock
    server: DevServer
    hub: LoopbackHub
    websub: WebSub
    poller: Poller
    feed_url: str
    self_url: str

    def put_feed(self, numbers: list[int]) -> None:
        self.server.put(
            "feed.atom",
            feed_body(self.hub.url, self.self_url, numbers),
            {"Content-Type": "application/atom+xml"},
        )

    def publish(self, numbers: list[int], **kw: str) -> list[int]:
        return self.hub.publish(self.self_url, feed_body(self.hub.url, self.self_url, numbers), **kw)

    def sub(self):
        return self.websub.store.by_feed(self.feed_url)

    def subscribe(self) -> None:
        """One review: the subscription request; then wait for the hub's verification of intent."""
        assert [a.kind for a in self.websub.subscriber.tick()] == ["subscribe"]
        wait_for(lambda: self.sub().state == "active", what="verified subscription")
        # the hub records the subscription only after our callback answered: wait for its side too
        wait_for(
            lambda: self.hub.active(self.self_url) or self.hub.sync_verify, what="the hub's subscription"
        )

    def callback(self) -> str:
        return self.websub.subscriber.callback_url(self.sub())


@pytest.fixture
def env(tmp_path: Path, kafka: KafkaSettings, topics: TopicSettings) -> Iterator[Env]:
    clock = Clock(time.time())
    settings = PollerSettings(
        state_path=tmp_path / "poller.sqlite3",
        allow_private_hosts=("127.0.0.1",),
        delivery_timeout_s=10,
        read_timeout_s=5,
        websub_port=0,
        websub_lease_s=1000,
        websub_verify_timeout_s=60,
        websub_retry_s=100,
        websub_max_body_bytes=64 * 1024,
        default_interval_s=300,
        min_interval_s=300,
        websub_safety_interval_s=3600,
    )
    with DevServer() as server, LoopbackHub(clock=clock, max_lease_s=600) as hub:
        websub = WebSub(settings, kafka, topics, clock=clock).start(review=False)
        poller = Poller(settings, kafka, topics, clock=clock, on_polled=websub.on_polled)
        feed_url = server.url_for("feed.atom")
        e = Env(clock, server, hub, websub, poller, feed_url, server.url_for("self.atom"))
        e.put_feed([1])
        poller.sync([feed_url])
        try:
            yield e
        finally:
            poller.close()
            websub.close()


def test_poll_discovers_subscribe_verify_push_one_record_per_entry(env: Env, kafka, topics) -> None:
    report = env.poller.run_once(force=True)
    assert report.entries_sent == 1
    assert env.websub.store.links()[env.feed_url].hubs == (env.hub.url,)

    env.subscribe()
    sub = env.sub()
    (request,) = env.hub.requests
    assert request["hub.secret"] == sub.secret and request["hub.topic"] == env.self_url
    assert request["hub.callback"] == env.callback() and env.callback().startswith(env.websub.callback_base)
    assert (
        sub.lease_s == 600 and sub.expires_ms == sub.verified_ms + 600_000
    )  # the hub granted less than asked
    # the hub records its verification after our callback answered (which is when the subscription turned active)
    wait_for(lambda: env.hub.verifications, what="the hub's record of the verification")
    assert [v.echoed for v in env.hub.verifications] == [True]
    assert env.websub.subscriber.tick() == []  # nothing to do until renewal
    gauge = env.websub.metrics.registry.get_sample_value
    assert [gauge("websub_subscriptions", {"state": s}) for s in ("pending", "active")] == [0, 1]

    # a push with entry 1 (already polled) and entry 2 (new): only entry 2 goes out
    assert env.publish([1, 2]) == [200]
    # the same push again (hubs retry): nothing new
    assert env.publish([1, 2]) == [200]
    # the poll after it sees entries 1-3: only 3 is new
    env.put_feed([1, 2, 3])
    assert env.poller.run_once(force=True).entries_sent == 1
    titles = raw_titles(kafka, topics.raw)
    assert sorted(titles) == sorted({t for t in titles}) and len(titles) == 3
    assert env.sub().pushes == 2 and env.sub().entries_sent == 1
    refused = env.websub.metrics.registry.get_sample_value
    assert refused("websub_entries_sent_total", {"kind": "new"}) == 1
    assert refused("websub_push_to_raw_seconds_count") == 2

    # a pushed feed is polled at the safety-net pace, not its normal 300 s
    feed = env.poller.state.feed(env.feed_url)
    assert feed.next_poll_ms - env.clock() * 1000 >= 3600 * 1000 * 0.89


def test_refusals(env: Env, kafka, topics) -> None:
    env.poller.run_once(force=True)
    env.subscribe()
    sub, url = env.sub(), env.callback()
    body = feed_body(env.hub.url, env.self_url, [7])
    metric = env.websub.metrics.registry.get_sample_value

    def post(content: bytes, signature: str | None, target: str = url) -> int:
        headers = {"Content-Type": "application/atom+xml"}
        if signature is not None:
            headers["X-Hub-Signature"] = signature
        return httpx.post(target, content=content, headers=headers, timeout=10).status_code

    assert post(body, None) == 202  # unsigned: acknowledged, dropped
    assert post(body, sign("not-the-secret", body)) == 202  # forged
    assert post(body, sign(sub.secret, body + b"\n")) == 202  # signed, then the body changed
    assert post(body, "md5=" + "0" * 32) == 202
    big = body + b"<!--" + b"x" * (64 * 1024) + b"-->"
    assert post(big, sign(sub.secret, big)) == 413  # over the cap, even when correctly signed
    assert post(body, sign(sub.secret, body), url.rsplit("/", 1)[0] + "/no-such-token") == 410
    for reason, n in (("unsigned", 1), ("bad_signature", 2), ("unknown_method", 1), ("too_large", 1)):
        assert metric("websub_pushes_refused_total", {"reason": reason}) == n, reason
    assert metric("websub_pushes_refused_total", {"reason": "unknown_callback"}) == 1
    assert raw_titles(kafka, topics.raw) == ["Dépêche numéro 1 : Kyiv sous les frappes"]  # the poll's only

    # a correctly signed push with sha1 and sha512 gets through
    assert post(body, sign(sub.secret, body, "sha1")) == 200
    nine = feed_body(env.hub.url, env.self_url, [9])
    assert post(nine, sign(sub.secret, nine, "sha512")) == 200
    assert sorted(raw_titles(kafka, topics.raw))[1:] == [
        "Dépêche numéro 7 : Kyiv sous les frappes",
        "Dépêche numéro 9 : Kyiv sous les frappes",
    ]
    # a signed body that is not a feed: a dead letter, not a raw record
    html = b"<html><body>not a feed</body></html>"
    assert post(html, sign(sub.secret, html)) == 200
    assert metric("websub_pushes_refused_total", {"reason": "bad_feed"}) == 1
    dead = list(read_topic(kafka, ConsumeOptions(topic=topics.dead_letter, idle_timeout_s=1.5)))
    assert [(d["stage"], d["feed_url"]) for d in dead] == [("push", env.feed_url)]

    # verification requests that are not ours: 404, and the subscription is untouched
    get = lambda **p: httpx.get(url, params=p, timeout=10)  # noqa: E731
    assert (
        get(**{"hub.mode": "subscribe", "hub.topic": env.self_url, "hub.challenge": "x"}).status_code == 404
    )
    assert (
        get(**{"hub.mode": "unsubscribe", "hub.topic": env.self_url, "hub.challenge": "x"}).status_code == 404
    )
    assert (
        get(**{"hub.mode": "subscribe", "hub.topic": "http://evil/", "hub.challenge": "x"}).status_code == 404
    )
    other = url.rsplit("/", 1)[0] + "/no-such-token"
    assert (
        httpx.get(
            other, params={"hub.mode": "subscribe", "hub.topic": env.self_url, "hub.challenge": "x"}
        ).status_code
        == 404
    )
    assert env.sub() == dataclasses.replace(
        sub, pushes=env.sub().pushes, entries_sent=2, last_push_ms=env.sub().last_push_ms
    )


def test_renewal_then_hub_down_then_polling_takes_over(env: Env, kafka, topics) -> None:
    env.poller.run_once(force=True)
    env.subscribe()
    first = env.sub()
    # 80 % of the 600 s lease later: a renewal, same callback and secret, verified, the lease extended
    env.clock.t += 480
    assert [a.kind for a in env.websub.subscriber.tick()] == ["renew"]
    wait_for(lambda: env.sub().verified_ms > first.verified_ms, what="renewal verified")
    renewed = env.sub()
    assert renewed.expires_ms == int(env.clock() * 1000) + 600_000 and renewed.token == first.token
    assert [r["hub.callback"] for r in env.hub.requests] == [env.callback()] * 2
    assert env.publish([1, 2]) == [200]

    # the hub goes down: the renewal fails, the running lease still holds, a retry is planned
    env.hub.down = True
    scheduled = env.poller.state.feed(env.feed_url).next_poll_ms
    env.clock.t += 480
    assert [a.kind for a in env.websub.subscriber.tick()] == ["renew"]
    failing = env.sub()
    assert failing.state == "active" and failing.failures == 1 and "503" in failing.last_error
    assert env.poller.state.feed(env.feed_url).next_poll_ms == scheduled  # the schedule is not touched yet
    # the lease runs out: on the hub nothing is delivered any more, here the feed goes back to polling at once
    env.clock.t += 121
    assert env.hub.active(env.self_url) == [] and env.publish([1, 2, 3]) == []
    assert [a.kind for a in env.websub.subscriber.tick()] == ["expire"]
    assert env.sub().state == "expired"
    assert env.poller.state.feed(env.feed_url).next_poll_ms <= env.clock() * 1000
    env.put_feed([1, 2, 3])
    report = env.poller.run_once()  # not forced: the feed is due
    assert report.entries_sent == 1
    assert sorted(raw_titles(kafka, topics.raw)) == [
        f"Dépêche numéro {n} : Kyiv sous les frappes" for n in (1, 2, 3)
    ]
    # polling is back at its normal pace
    assert env.poller.state.feed(env.feed_url).next_poll_ms - env.clock() * 1000 < 3600 * 1000 * 0.5


def test_hub_down_at_subscribe_then_recovers(env: Env) -> None:
    env.poller.run_once(force=True)
    env.hub.down = True
    assert [a.kind for a in env.websub.subscriber.tick()] == ["subscribe"]
    failed = env.sub()
    assert failed.state == "failed" and failed.failures == 1 and failed.next_action_ms > env.clock() * 1000
    assert env.websub.subscriber.tick() == []  # backing off
    env.hub.down = False
    env.clock.t = failed.next_action_ms / 1000
    env.subscribe()
    assert env.sub().failures == 0


def test_denial_hands_the_feed_back_to_polling(env: Env) -> None:
    env.poller.run_once(force=True)
    env.hub.deny.add(env.self_url)
    assert [a.kind for a in env.websub.subscriber.tick()] == ["subscribe"]
    wait_for(lambda: env.sub().state == "denied", what="denial recorded")
    denied = env.sub()
    assert "not on this hub's list" in denied.last_error and denied.next_action_ms > env.clock() * 1000
    assert env.poller.state.feed(env.feed_url).next_poll_ms <= env.clock() * 1000  # polled at once
    body = feed_body(env.hub.url, env.self_url, [5])
    status = httpx.post(env.callback(), content=body, headers={"X-Hub-Signature": sign(denied.secret, body)})
    assert status.status_code == 410  # pushes for a denied subscription are not taken


def test_synchronous_verification_and_unsubscribe_on_removal(env: Env) -> None:
    env.hub.sync_verify = True  # the hub verifies before it answers the subscription request
    env.poller.run_once(force=True)
    env.subscribe()
    callback = env.callback()
    assert env.hub.active(env.self_url)
    env.poller.state.remove_feed(env.feed_url)
    assert [a.kind for a in env.websub.subscriber.tick()] == ["unsubscribe"]
    assert env.sub() is None and env.hub.active(env.self_url) == []
    assert [(v.mode, v.echoed) for v in env.hub.verifications] == [("subscribe", True), ("unsubscribe", True)]
    body = feed_body(env.hub.url, env.self_url, [5])
    assert httpx.post(callback, content=body).status_code == 410


def test_a_hub_on_a_private_address_is_refused_by_the_ssrf_guard(env: Env, tmp_path: Path) -> None:
    """The hub URL comes from feed content: subscription requests go through the poller's guarded client."""
    env.poller.run_once(force=True)
    env.websub.subscriber.client = build_client(PollerSettings(state_path=tmp_path / "other.sqlite3"))
    try:
        assert [a.kind for a in env.websub.subscriber.tick()] == ["subscribe"]
    finally:
        env.websub.subscriber.client.close()
    refused = env.sub()
    assert refused.state == "failed" and "BlockedAddress" in refused.last_error
    assert env.hub.requests == []  # nothing reached the hub
    metric = env.websub.metrics.registry.get_sample_value
    assert metric("websub_subscriptions", {"state": "failed"}) == 1
    assert metric("websub_hub_requests_total", {"mode": "subscribe", "result": "error"}) == 1
