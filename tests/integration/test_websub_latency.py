"""Push latency on the loopback hub: hub push -> raw record on the raw topic -> output record on the items topic.

The pipeline runs as ``news-pipeline run --mode stream --no-ner`` in a child process; each story is pushed alone,
and the next push waits for the previous item.  Times come from the records' own Kafka timestamps (set by the
producers on this machine), so the measuring consumers' fetch waits are not counted.  Prints a table; run with
``-s`` to see it.  Fails if any pushed story is missing from, or doubled on, either topic.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.wire import WireDecoder
from pipeline.bus.client import consumer_config, ensure_topics
from pipeline.devserver import DevServer
from pipeline.poller.runner import Poller
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.service import WebSub
from tests.integration.websub_hub import LoopbackHub, stories, story_feed, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
PUSHES = 20


class Arrivals(threading.Thread):
    """Record (title or headline) -> Kafka timestamp in ms for every record of ``topic`` (from the beginning)."""

    def __init__(self, kafka: KafkaSettings, topic: str, field: str):
        super().__init__(daemon=True, name=f"arrivals-{topic}")
        self.kafka, self.topic, self.field = kafka, topic, field
        self.seen: dict[str, list[int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        consumer = KafkaConsumer(**consumer_config(self.kafka, group_id=None, fetch_max_wait_ms=50))
        decoder = WireDecoder()
        try:
            consumer.assign(
                [TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic)]
            )
            consumer.seek_to_beginning()
            while not self.stop.is_set():
                for batch in consumer.poll(timeout_ms=100).values():
                    for msg in batch:
                        _, record = decoder.decode_json(msg.value)
                        self.seen.setdefault(record[self.field], []).append(msg.timestamp)
        finally:
            consumer.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_push_latency_to_raw_and_items(tmp_path: Path, kafka: KafkaSettings, topics: TopicSettings) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit], topics.partitions)
    settings = PollerSettings(
        state_path=tmp_path / "poller.sqlite3", allow_private_hosts=("127.0.0.1",), websub_port=0
    )
    texts = stories(PUSHES + 1)
    raw, items = Arrivals(kafka, topics.raw, "title"), Arrivals(kafka, topics.output, "headline")
    cmd = [
        sys.executable, "-m", "pipeline.cli", "run", "--mode", "stream", "--no-ner",
        "--bootstrap-servers", kafka.bootstrap_servers, "--raw-topic", topics.raw, "--output-topic", topics.output,
        "--dead-letter-topic", topics.dead_letter, "--audit-topic", topics.audit, "--out-dir", str(tmp_path / "out"),
        "--group", f"latency-{topics.raw}",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with DevServer() as server, LoopbackHub() as hub, contextlib.ExitStack() as stack:
        websub = WebSub(settings, kafka, topics).start(review=False)
        stack.callback(websub.close)
        poller = stack.enter_context(Poller(settings, kafka, topics, on_polled=websub.on_polled))
        feed_url = server.url_for("feed.atom")
        server.put("feed.atom", story_feed(hub.url, feed_url, []), {"Content-Type": "application/atom+xml"})
        poller.sync([feed_url])
        poller.run_once(force=True)
        websub.subscriber.tick()
        wait_for(lambda: websub.store.by_feed(feed_url).state == "active", what="subscription verified")
        wait_for(lambda: hub.active(feed_url), what="the hub's record of the subscription")
        for consumer in (raw, items):
            consumer.start()
            stack.callback(consumer.join, 5)
            stack.callback(consumer.stop.set)
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stack.callback(proc.kill)
        try:
            # warm-up: the first item also pays for the pipeline's start
            started = time.time()
            assert hub.publish(feed_url, story_feed(hub.url, feed_url, [(0, *texts[0])])) == [200]
            wait_for(lambda: texts[0][0] in items.seen, 180, "warm-up item on the items topic")
            warm_s = items.seen[texts[0][0]][0] / 1000 - started
            acks, to_raw, to_items = [], [], []
            for n in range(1, PUSHES + 1):
                title, body = texts[n]
                pushed_at = time.time()
                assert hub.publish(feed_url, story_feed(hub.url, feed_url, [(n, title, body)])) == [200]
                acks.append(time.time() - pushed_at)
                wait_for(lambda t=title: t in items.seen, 60, f"item {n} on the items topic")
                wait_for(lambda t=title: t in raw.seen, 10, f"entry {n} on the raw topic")
                to_raw.append(raw.seen[title][0] / 1000 - pushed_at)
                to_items.append(items.seen[title][0] / 1000 - pushed_at)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    titles = [t for t, _ in texts]
    assert sorted(raw.seen) == sorted(titles) and all(len(v) == 1 for v in raw.seen.values())
    assert sorted(items.seen) == sorted(titles) and all(len(v) == 1 for v in items.seen.values())
    print(f"\n{PUSHES} pushes, one story each, {topics.partitions} partition(s); warm-up item {warm_s:.1f} s")
    print(f"{'ms':<28}{'p50':>8}{'p90':>8}{'max':>8}{'mean':>8}")
    for name, values in (
        ("hub push -> 200 (Kafka ack)", acks),
        ("hub push -> raw record", to_raw),
        ("hub push -> items record", to_items),
    ):
        ms = [v * 1000 for v in values]
        print(
            f"{name:<28}{_pct(ms, 0.5):>8.1f}{_pct(ms, 0.9):>8.1f}{max(ms):>8.1f}{statistics.mean(ms):>8.1f}"
        )
