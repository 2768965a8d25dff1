"""A pushed entry end to end on the real broker: loopback hub -> callback server -> raw topic ->
``news-pipeline run --mode drain --no-ner`` -> output topic, with the poller's record identity."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from pipeline.bus.client import ensure_topics
from pipeline.cli import main
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.poller import keys
from pipeline.poller.parse import parse_feed
from pipeline.poller.runner import Poller
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.service import WebSub
from tests.integration.websub_hub import LoopbackHub, stories, story_feed, wait_for

pytestmark = pytest.mark.integration


def _read(kafka: KafkaSettings, topic: str) -> list[dict]:
    return list(read_topic(kafka, ConsumeOptions(topic=topic, idle_timeout_s=1.5)))


def test_pushed_entry_reaches_raw_then_items(
    tmp_path: Path, kafka: KafkaSettings, topics: TopicSettings
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    settings = PollerSettings(
        state_path=tmp_path / "poller.sqlite3", allow_private_hosts=("127.0.0.1",), websub_port=0
    )
    ((title, body),) = stories(1)
    with DevServer() as server, LoopbackHub() as hub, contextlib.ExitStack() as stack:
        websub = WebSub(settings, kafka, topics).start(review=False)
        stack.callback(websub.close)
        poller = stack.enter_context(Poller(settings, kafka, topics, on_polled=websub.on_polled))
        feed_url, self_url = server.url_for("feed.atom"), server.url_for("feed.atom")
        server.put("feed.atom", story_feed(hub.url, self_url, []), {"Content-Type": "application/atom+xml"})
        poller.sync([feed_url])
        assert poller.run_once(force=True).ok == 1  # no entries yet; the hub is found
        assert [a.kind for a in websub.subscriber.tick()] == ["subscribe"]
        wait_for(lambda: websub.store.by_feed(feed_url).state == "active", what="subscription verified")
        wait_for(lambda: hub.active(self_url), what="the hub's record of the subscription")

        pushed = story_feed(hub.url, self_url, [(1, title, body)])
        started = time.monotonic()
        assert hub.publish(self_url, pushed) == [200]  # answered once Kafka acknowledged the raw record
        acked_s = time.monotonic() - started

    (raw,) = _read(kafka, topics.raw)
    expected = parse_feed(pushed, {"content-type": "application/atom+xml"}, feed_url, 0).entries[0]
    assert raw["title"] == title and raw["feed_url"] == feed_url
    assert raw["_kafka"]["key"].encode() == keys.record_key(feed_url, expected.entry_key)  # the poller's key

    code = main(
        [
            "run",
            "--bootstrap-servers", kafka.bootstrap_servers,
            "--raw-topic", topics.raw,
            "--output-topic", topics.output,
            "--dead-letter-topic", topics.dead_letter,
            "--audit-topic", topics.audit,
            "--mode", "drain",
            "--no-ner",
            "--out-dir", str(tmp_path / "out"),
        ]
    )  # fmt: skip
    assert code == 0
    (item,) = _read(kafka, topics.output)
    assert item["headline"] == title and item["ingest"]["raw_topic"] == topics.raw
    assert item["body"].split()[:6] == body.split()[:6]
    print(f"\npush -> raw record acknowledged: {acked_s * 1000:.1f} ms")
