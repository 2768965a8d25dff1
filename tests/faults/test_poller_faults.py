"""Faults against the poller: the real ``news-pipeline poll --loop`` process, the real tansu broker, feeds on 127.0.0.1.

1. The poller is SIGKILLed mid-round: a restarted loop polls every stranded feed again within one lease period.
2. The broker (memory storage) is SIGKILLed and restarted on the same port under a running loop: the loop stays up,
   sees that the broker lost what it had acknowledged, re-sends it from its outbox, and delivers new entries too.

Each test prints one result line (run with ``-s`` to see it): items, lost, sent twice, recovery seconds, exit codes.
"""

from __future__ import annotations

import re
import signal
import time
import urllib.request
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import decode_raw_entry
from pipeline.bus.broker import EmbeddedBroker, free_port
from pipeline.bus.client import consumer_config
from pipeline.devserver import Behaviour, DevServer
from pipeline.poller.state import StateStore
from pipeline.settings import KafkaSettings, TopicSettings
from tests.faults.support import rss, start_loop, stop_loop, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def expected_keys(feeds: int, entries: int) -> set[str]:
    return {f"urn:f{f}:e{e}" for f in range(feeds) for e in range(entries)}


def topic_guids(kafka: KafkaSettings, topic: str, idle_s: float = 1.0) -> list[str]:
    """The GUID of every record on ``topic`` now (one GUID per entry here, so one identity downstream)."""
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None))
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            return []
        consumer.assign([TopicPartition(topic, p) for p in parts])
        consumer.seek_to_beginning()
        out, last = [], time.monotonic()
        while time.monotonic() - last < idle_s:
            for batch in consumer.poll(timeout_ms=200).values():
                out.extend(decode_raw_entry(r.value).guid for r in batch)
                last = time.monotonic()
        return out
    finally:
        consumer.close(autocommit=False)


def metric(port: int, name: str) -> float | None:
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    total, seen = 0.0, False
    for m in re.finditer(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE):
        total, seen = total + float(m.group(1)), True
    return total if seen else None


def test_killed_poller_strands_no_feed(kafka, tmp_path):
    """SIGKILL while a round is in progress (seen in the state file), restart: the feeds the dead poller had taken
    are polled again within one lease period, and no entry is lost."""
    feeds, entries, lease_s = 150, 4, 5.0
    topics = TopicSettings(raw=f"raw-{uuid.uuid4().hex[:8]}", dead_letter=f"dlq-{uuid.uuid4().hex[:8]}")
    state_path = tmp_path / "poller.sqlite3"
    with DevServer() as srv:
        store = StateStore(state_path)
        for f in range(feeds):
            srv.put(f"f{f}.xml", rss(f, entries))
            srv.script(
                f"f{f}.xml", Behaviour(delay_s=0.15, times=1)
            )  # a slow first round, to kill it in the middle
            store.add_feed(srv.url_for(f"f{f}.xml"), int(time.time() * 1000))
        extra = (
            "--workers",
            "4",
            "--per-host-concurrency",
            "4",
            "--lease",
            f"{lease_s:.0f}s",
            "--interval",
            "1h",
        )
        first = start_loop(kafka, topics, state_path, tmp_path / "first.log", *extra)

        def mid_round() -> bool:
            fs = store.feeds()
            return sum(f.polls > 0 for f in fs) >= 20 and sum(f.leased_until_ms > 0 for f in fs) >= 50

        try:
            wait_for(mid_round, 120, "a round in progress", every_s=0.02)
        finally:
            first.send_signal(signal.SIGKILL)
            first_rc = first.wait(30)
        t_kill = time.monotonic()
        stranded = {f.url for f in store.feeds() if f.polls == 0}
        leased_at_kill = sum(f.leased_until_ms > 0 for f in store.feeds())
        for f in range(feeds):
            srv.script(
                f"f{f}.xml"
            )  # full speed from now on: the measurement is about leases, not slow servers

        second = start_loop(kafka, topics, state_path, tmp_path / "second.log", *extra)
        t_start, t_start_wall = time.monotonic(), time.time()
        try:
            wait_for(lambda: all(f.polls > 0 for f in store.feeds()), lease_s + 60, "every feed polled")
            t_all = time.monotonic()
            first_new_poll = min(f.last_poll_ms for f in store.feeds() if f.url in stranded) / 1000.0
            alive = second.poll() is None
        finally:
            second_rc = stop_loop(second)
        guids = topic_guids(kafka, topics.raw)
        store.close()
    lost = expected_keys(feeds, entries) - set(guids)
    twice = len(guids) - len(set(guids))
    print(
        f"\npoller SIGKILL mid-round: {feeds} feeds, {len(stranded)} stranded ({leased_at_kill} leased at the kill), "
        f"lease {lease_s:.0f}s; restart -> all polled in {t_all - t_start:.1f}s ({t_all - t_kill:.1f}s after the "
        f"kill), first stranded feed polled {first_new_poll - t_start_wall:.1f}s after the restart; items {len(guids)} on the topic, {len(set(guids))} distinct, lost {len(lost)}, "
        f"sent twice {twice}; exit codes {first_rc} (killed), {second_rc} (SIGTERM)"
    )
    assert first_rc == -signal.SIGKILL and stranded and alive and second_rc == 0
    assert t_all - t_kill <= lease_s + 20  # the old lease (~980 s) left them stranded for minutes
    assert not lost


@pytest.mark.parametrize("when", ["idle", "mid_round"])
def test_broker_restart_under_the_loop_loses_nothing(tmp_path, when):
    """The broker (memory storage) SIGKILLed and restarted on its port while ``poll --loop`` runs, either between
    rounds (the loop sees it away and waits) or in the middle of a round that is sending new entries (the loop's next
    sends reach the new, empty broker).  The loop stays up, detects that the broker lost what it had acknowledged,
    re-sends it from its outbox; old and new entries are all on the topic."""
    feeds, entries, added = 20, 10, 5
    port, metrics_port = free_port(), free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    topics = TopicSettings(raw=f"raw-restart-{when}", dead_letter=f"dlq-restart-{when}")
    state_path = tmp_path / "poller.sqlite3"
    brokers = [
        EmbeddedBroker(
            port=port, storage="memory", state_dir=tmp_path / "b1", log=tmp_path / "tansu1.log"
        ).start()
    ]
    restarted_at: list[float] = []

    def restart() -> None:
        brokers[-1].proc.kill()
        brokers[-1].proc.wait()
        if when == "idle":  # the broker stays away for three tries of the loop (back-off 1, 2, 4 s)
            wait_for(
                lambda: (metric(metrics_port, "poller_broker_unavailable_total") or 0) >= 3,
                60,
                "the loop to try the absent broker three times",
            )
            assert loop.poll() is None, "the loop exited while the broker was away"
        brokers.append(
            EmbeddedBroker(
                port=port, storage="memory", state_dir=tmp_path / "b2", log=tmp_path / "tansu2.log"
            ).start()
        )
        restarted_at.append(time.monotonic())

    loop, rc = None, None
    try:
        with DevServer() as srv:
            store = StateStore(state_path)
            for f in range(feeds):
                srv.put(f"f{f}.xml", rss(f, entries))
                store.add_feed(srv.url_for(f"f{f}.xml"), int(time.time() * 1000))
            store.close()
            loop = start_loop(
                kafka,
                topics,
                state_path,
                tmp_path / "loop.log",
                *("--workers", "4", "--interval", "2s", "--min-interval", "1s", "--lease", "5s"),
                *("--metrics-port", str(metrics_port)),
            )
            before = expected_keys(feeds, entries)
            wait_for(lambda: set(topic_guids(kafka, topics.raw, 0.3)) >= before, 120, "the first entries")
            items_before = len(topic_guids(kafka, topics.raw))
            if when == "idle":
                restart()
            else:  # the broker dies and comes back while the poller fetches the 11th feed of a round with news
                srv.script(f"f{feeds // 2}.xml", Behaviour(hook=restart, times=1))
            for f in range(feeds):
                srv.put(f"f{f}.xml", rss(f, entries + added))
            everything = expected_keys(feeds, entries + added)
            wait_for(lambda: restarted_at, 60, "the broker restart")
            old_back = wait_for(
                lambda: set(topic_guids(kafka, topics.raw, 0.3)) >= before, 120, "old entries"
            )
            wait_for(lambda: set(topic_guids(kafka, topics.raw, 0.3)) >= everything, 120, "the new entries")
            all_back = time.monotonic() - restarted_at[0]
            guids = topic_guids(kafka, topics.raw)
            alive = loop.poll() is None
            losses = metric(metrics_port, "poller_broker_data_loss_total")
            resent = metric(metrics_port, "poller_resent_total")
            waits = metric(metrics_port, "poller_broker_unavailable_total")
            rc = stop_loop(loop)
    finally:
        if loop and rc is None:
            rc = stop_loop(loop)
        for b in brokers:
            b.stop()
    log = (tmp_path / "loop.log").read_text()
    lost = everything - set(guids)
    twice = len(guids) - len(set(guids))
    print(
        f"\nbroker SIGKILL + restart under poll --loop ({when}): items before {items_before}, after {len(guids)} "
        f"({len(set(guids))} distinct of {len(everything)}), lost {len(lost)}, sent twice {twice}; "
        f"old entries back {old_back:.1f}s after the restart, all {all_back:.1f}s; "
        f"data-loss detections {losses}, re-sent {resent}, rounds waiting for the broker {waits}; "
        f"loop alive {alive}, exit code {rc}"
    )
    assert alive and rc == 0
    assert not lost
    assert losses and losses >= 1 and resent and resent >= len(before)
    assert "event=broker_data_loss" in log
    if when == "idle":
        assert log.count("event=broker_waiting") >= 3 and waits and waits >= 3
