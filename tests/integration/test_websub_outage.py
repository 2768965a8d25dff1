"""Kafka away during a push, for real: the broker process is killed.  The hub gets 503 (it retries), nothing is
marked seen, and after a restart the same push is delivered once and a poll does not send it again."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from pipeline.bus.broker import EmbeddedBroker, free_port
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.poller.parse import parse_feed
from pipeline.poller.runner import Poller
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.ingest import changes_for
from pipeline.websub.service import WebSub
from tests.integration.websub_hub import LoopbackHub, stories, story_feed, wait_for

pytestmark = pytest.mark.integration


def test_push_while_kafka_is_down_is_refused_then_delivered_once(tmp_path: Path) -> None:
    port = free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    topics = TopicSettings(raw="raw-websub-outage", dead_letter="dlq-websub-outage")
    settings = PollerSettings(
        state_path=tmp_path / "poller.sqlite3",
        allow_private_hosts=("127.0.0.1",),
        websub_port=0,
        delivery_timeout_s=3,
    )
    first, second = stories(2)
    broker = EmbeddedBroker(port=port, storage="memory", state_dir=tmp_path / "b1").start()
    with DevServer() as server, LoopbackHub() as hub, contextlib.ExitStack() as stack:
        stack.callback(broker.stop)
        websub = WebSub(settings, kafka, topics).start(review=False)
        stack.callback(websub.close)
        poller = stack.enter_context(Poller(settings, kafka, topics, on_polled=websub.on_polled))
        feed_url = server.url_for("feed.atom")
        server.put("feed.atom", story_feed(hub.url, feed_url, []), {"Content-Type": "application/atom+xml"})
        poller.sync([feed_url])
        poller.run_once(force=True)
        websub.subscriber.tick()
        wait_for(lambda: websub.store.by_feed(feed_url).state == "active", what="subscription verified")
        # the hub records the subscription only after our callback answered: wait for its side too
        wait_for(lambda: hub.active(feed_url), what="the hub's record of the subscription")
        assert hub.publish(feed_url, story_feed(hub.url, feed_url, [(1, *first)])) == [200]

        broker.proc.kill()  # SIGKILL: the producer's connection dies under it
        broker.proc.wait()
        both = story_feed(hub.url, feed_url, [(1, *first), (2, *second)])
        assert hub.publish(feed_url, both) == [503]
        metric = websub.metrics.registry.get_sample_value
        assert metric("websub_pushes_refused_total", {"reason": "not_delivered"}) == 1
        feed = poller.state.feed(feed_url)
        pending = changes_for(poller.state, feed.id, parse_feed(both, {}, feed_url, 0))
        assert [e.title for e in pending.new] == [second[0]]  # not marked seen
        assert websub.store.by_feed(feed_url).pushes == 1

        with EmbeddedBroker(
            port=port, storage="memory", state_dir=tmp_path / "b2"
        ):  # in-memory storage: a fresh, empty topic
            assert hub.publish(feed_url, both) == [200]  # the hub's retry
            raw = [
                r["title"] for r in read_topic(kafka, ConsumeOptions(topic=topics.raw, idle_timeout_s=1.5))
            ]
            assert raw == [second[0]]
            server.put("feed.atom", both, {"Content-Type": "application/atom+xml"})
            assert poller.run_once(force=True).entries_sent == 0  # the poll knows both entries already
