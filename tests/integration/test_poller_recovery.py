"""The poller against a broker that loses data, in process: the real tansu broker, the devserver on 127.0.0.1."""

from __future__ import annotations

import concurrent.futures as cf
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from pipeline.avro.codec import decode_raw_entry
from pipeline.bus.broker import free_port
from pipeline.bus.client import common_config, consumer_config, ensure_topics
from pipeline.devserver import Behaviour, DevServer
from pipeline.poller import PollerSettings, outbox
from pipeline.poller.runner import Poller
from pipeline.settings import KafkaSettings, TopicSettings

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def rss(feed: int, entries: int) -> bytes:
    items = "".join(
        f"<item><guid>urn:f{feed}:e{e}</guid><title>Dispatch {feed}.{e}</title><description>{e}</description></item>"
        for e in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{feed}</title>{items}</channel></rss>'.encode()


def guids(kafka: KafkaSettings, topic: str) -> list[str]:
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None))
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            return []
        consumer.assign([TopicPartition(topic, p) for p in parts])
        consumer.seek_to_beginning()
        out, last = [], time.monotonic()
        while time.monotonic() - last < 1.0:
            for batch in consumer.poll(timeout_ms=200).values():
                out.extend(decode_raw_entry(r.value).guid for r in batch)
                last = time.monotonic()
        return out
    finally:
        consumer.close(autocommit=False)


@pytest.fixture()
def settings(tmp_path: Path) -> PollerSettings:
    return PollerSettings(
        state_path=tmp_path / "poller.sqlite3",
        allow_private_hosts=("127.0.0.1",),
        per_host_concurrency=8,
        per_host_rate=10_000,
        workers=4,
        delivery_timeout_s=5,
    )


@pytest.fixture()
def topics() -> TopicSettings:
    tag = uuid.uuid4().hex[:8]
    return TopicSettings(raw=f"raw-{tag}", dead_letter=f"dlq-{tag}")


def test_topic_deleted_and_recreated_is_refilled_from_the_outbox(kafka, topics, settings):
    """Real Kafka's way of losing data without a restart: the topic is deleted and created again."""
    with DevServer() as srv:
        for f in range(3):
            srv.put(f"f{f}.xml", rss(f, 4))
        with Poller(settings, kafka, topics) as poller:
            urls = poller.sync([srv.url_for(f"f{f}.xml") for f in range(3)])
            assert poller.run_once(urls).entries_sent == 12
            admin = KafkaAdminClient(**common_config(kafka))
            try:
                admin.delete_topics([topics.raw])
            finally:
                admin.close()
            deadline = time.monotonic() + 20
            while guids(kafka, topics.raw) and time.monotonic() < deadline:
                time.sleep(0.1)
            ensure_topics(kafka, [topics.raw])  # someone creates it again, empty, under a new topic id
            srv.put("f0.xml", rss(0, 6))
            report = poller.run_once(urls, force=True)
            losses = poller.metrics.data_loss.labels("topic_recreated")._value.get()
    got = guids(kafka, topics.raw)
    assert report.resent == 12 and report.entries_sent == 2 and losses == 1
    assert sorted(got) == sorted(
        {f"urn:f{f}:e{e}" for f in range(3) for e in range(4)} | {"urn:f0:e4", "urn:f0:e5"}
    )


def test_pending_resends_survive_a_poller_restart(kafka, topics, settings):
    """A poller that marked records lost and died before re-sending them: the next process re-sends them at start."""
    with DevServer() as srv:
        srv.put("f0.xml", rss(0, 3))
        with Poller(settings, kafka, topics) as first:
            assert first.run_once(first.sync([srv.url_for("f0.xml")])).entries_sent == 3
            with first.state.transaction() as db:  # what a crash right after the detection leaves behind
                assert outbox.mark_lost(db, topics.raw, None, present=set()) == (3, 3)
        with Poller(settings, kafka, topics) as second:
            report = second.run_once()  # nothing is due: the start-up check alone
            pending = outbox.pending_count(second.state.read)
    got = guids(kafka, topics.raw)
    assert report.feeds_polled == 0 and report.resent == 3 and pending == 0
    assert sorted(got) == sorted(2 * [f"urn:f0:e{e}" for e in range(3)])  # they had not really been lost here


def test_no_false_alarm_when_nothing_was_lost(kafka, topics, settings):
    """Rounds of new entries from two pollers on one state file, running at the same time (their acks and ledger
    updates may interleave): no loss is declared, nothing is re-sent, each entry is on the topic once."""
    with DevServer() as srv:
        for f in range(6):
            srv.put(f"f{f}.xml", rss(f, 2))
        with Poller(settings, kafka, topics) as a, Poller(settings, kafka, topics) as b:
            urls = a.sync([srv.url_for(f"f{f}.xml") for f in range(6)])
            assert a.run_once(urls).entries_sent == 12
            for n in range(3, 6):
                for f in range(6):
                    srv.put(f"f{f}.xml", rss(f, n))
                with cf.ThreadPoolExecutor(2) as pool:
                    reports = list(
                        pool.map(lambda pu: pu[0].run_once(pu[1], force=True), [(a, urls[:3]), (b, urls[3:])])
                    )
                assert [r.resent for r in reports] == [0, 0] and sum(r.entries_sent for r in reports) == 6
                assert a.recovery.check(int(time.time() * 1000)) == 0
            metrics = [p.metrics for p in (a, b)]
    assert all(m.resent._value.get() == 0 for m in metrics)
    assert not any(s.samples[0].value for m in metrics for s in m.data_loss.collect() if s.samples)
    got = guids(kafka, topics.raw)
    assert len(got) == len(set(got)) == 6 * 5


def test_interleaved_acks_of_two_pollers_are_checked_not_taken_for_a_loss(kafka, topics, settings):
    """Poller a's first feed is acked, then poller b sends and commits (the ledger moves past a's offsets), then a
    commits: a's acks sit below the ledger, which looks like a broker that started over.  a checks the broker,
    finds everything there, and neither declares a loss nor re-sends."""
    with DevServer() as srv:
        for f in range(3):
            srv.put(f"f{f}.xml", rss(f, 3))
        with (
            Poller(settings.model_copy(update={"workers": 1}), kafka, topics) as a,
            Poller(settings, kafka, topics) as b,
        ):
            a_urls = a.sync([srv.url_for("f0.xml"), srv.url_for("f1.xml")])
            b_urls = b.sync([srv.url_for("f2.xml")])
            fetched: list[int] = []

            def hook(feed: int) -> None:  # runs in the devserver's thread while a waits for this feed
                fetched.append(feed)
                if len(fetched) == 2:
                    deadline = time.monotonic() + 20
                    while not any(g.startswith(f"urn:f{fetched[0]}:") for g in guids(kafka, topics.raw)):
                        assert time.monotonic() < deadline, "a's first feed never reached the topic"
                    assert b.run_once(b_urls).entries_sent == 3

            for f in (0, 1):
                srv.script(f"f{f}.xml", Behaviour(hook=lambda f=f: hook(f), times=1))
            report = a.run_once(a_urls)
            checks = a.metrics.broker_checks.labels("acks")._value.get()
            losses = [s.value for s in a.metrics.data_loss.collect()[0].samples if s.name.endswith("_total")]
    assert report.entries_sent == 6 and report.resent == 0 and checks == 1 and not any(losses)
    got = guids(kafka, topics.raw)
    assert len(got) == len(set(got)) == 9


def test_one_shot_poll_with_no_broker_exits_1_with_one_line(tmp_path, topics):
    state = tmp_path / "s.sqlite3"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "feeds",
            "add",
            "http://127.0.0.1:9/a.xml",
            "--state",
            str(state),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "poll",
            "--bootstrap-servers",
            f"127.0.0.1:{free_port()}",
            "--state",
            str(state),
            "--raw-topic",
            topics.raw,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "cannot reach Kafka" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
