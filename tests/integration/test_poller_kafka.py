"""poll_once end to end: the real devserver on 127.0.0.1 and the real tansu broker (EmbeddedBroker)."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import decode_failure, decode_raw_entry
from pipeline.bus.broker import EmbeddedBroker, free_port
from pipeline.bus.client import consumer_config
from pipeline.bus.read import read_to_end
from pipeline.devserver import Behaviour, DevServer
from pipeline.poller import PollerSettings, poll_once
from pipeline.poller.metrics import PollerMetrics
from pipeline.poller.runner import Poller
from pipeline.poller.state import StateStore
from pipeline.settings import KafkaSettings, TopicSettings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "poller"
CORPORA = REPO / ".." / "shared" / "corpora" / "feeds"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with EmbeddedBroker(storage="memory", state_dir=tmp_path_factory.mktemp("broker")) as b:
        yield b


@pytest.fixture()
def kafka(broker) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=broker.bootstrap_servers)


@pytest.fixture()
def topics() -> TopicSettings:
    tag = uuid.uuid4().hex[:8]
    return TopicSettings(raw=f"raw-{tag}", dead_letter=f"dlq-{tag}")


@pytest.fixture()
def settings(tmp_path) -> PollerSettings:
    return PollerSettings(
        state_path=tmp_path / "poller.sqlite3",
        allow_private_hosts=("127.0.0.1",),
        per_host_concurrency=8,
        per_host_rate=10_000,
        per_host_burst=10_000,
        workers=8,
        read_timeout_s=2,
        total_timeout_s=5,
        delivery_timeout_s=5,
    )


@pytest.fixture()
def feeds_dir(tmp_path) -> Path:
    d = tmp_path / "feeds"
    shutil.copytree(FIXTURES, d)
    return d


def read_all(kafka: KafkaSettings, topic: str) -> list[tuple[bytes, bytes]]:
    """Every record of ``topic`` so far (callers read after the poller's sends were acknowledged), by the one "read
    until done" rule: the end taken at the start reached and an empty fetch, not a guessed idle time."""
    return [(r.key, r.value) for r in read_to_end(kafka, topic, missing_ok=True)]


def test_second_poll_of_unchanged_feeds_sends_nothing(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        srv.script(
            "json/feed.json", Behaviour(ignore_validators=True, body=(feeds_dir / "feed.json").read_bytes())
        )
        urls = [srv.url_for("wire_v1.xml"), srv.url_for("json/feed.json")]
        first = poll_once(urls, settings, kafka, topics)
        assert (first.ok, first.entries_sent, first.errors) == (2, 5, 0)
        second = poll_once(urls, settings, kafka, topics, force=True)
        assert second.not_modified == 2 and second.entries_sent == second.updates == 0
        assert [h.status for h in srv.hits_for("wire_v1.xml")] == [200, 304]
        assert [h.status for h in srv.hits_for("json/feed.json")] == [
            200,
            200,
        ]  # ignores validators: same bytes
    records = read_all(kafka, topics.raw)
    assert len(records) == 5
    entries = [decode_raw_entry(v) for _, v in records]
    assert {e.title for e in entries} >= {"Second dispatch", "First JSON item"}
    assert all(k.decode().endswith(e.entry_key) for (k, _), e in zip(records, entries, strict=True))


def test_changed_entry_is_sent_once_as_an_update(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        url = srv.url_for("wire.xml")
        shutil.copy(feeds_dir / "wire_v1.xml", feeds_dir / "wire.xml")
        assert poll_once([url], settings, kafka, topics).entries_sent == 3
        shutil.copy(feeds_dir / "wire_v2.xml", feeds_dir / "wire.xml")
        report = poll_once([url], settings, kafka, topics, force=True)
        assert (report.entries_sent, report.updates) == (1, 1)
        assert poll_once([url], settings, kafka, topics, force=True).entries_sent == 0
        assert poll_once([url], settings, kafka, topics, force=True).updates == 0
    entries = [decode_raw_entry(v) for _, v in read_all(kafka, topics.raw)]
    assert len(entries) == 5
    updates = [e for e in entries if e.is_update]
    assert len(updates) == 1 and updates[0].summary.startswith("Summary two, corrected")
    assert [e.title for e in entries if e.title == "Fourth dispatch"] == ["Fourth dispatch"]
    state = StateStore(settings.state_path)
    f = state.feed(url)
    assert (f.entries_sent, f.updates_sent, f.polls) == (4, 1, 4)


def test_guid_drift_is_counted_not_resent(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        url = srv.url_for("drift.xml")
        shutil.copy(feeds_dir / "drift_1.xml", feeds_dir / "drift.xml")
        assert poll_once([url], settings, kafka, topics).entries_sent == 4
        shutil.copy(feeds_dir / "drift_2.xml", feeds_dir / "drift.xml")
        report = poll_once([url], settings, kafka, topics, force=True)
    assert (
        report.guid_drift == 2 and report.entries_sent == 2
    )  # A, B recognised by link; shared-link items are new
    assert StateStore(settings.state_path).feed(url).guid_drift == 2


def test_bad_feeds_become_dead_letters_and_the_poller_goes_on(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        srv.script("gone.xml", Behaviour(status=404))
        srv.script("broken.xml", Behaviour(status=500))
        srv.script(
            "bomb.xml", Behaviour(raw_body=(feeds_dir / "gzip_bomb.xml.gz").read_bytes(), raw_encoding="gzip")
        )
        names = [
            "billion_laughs.xml",
            "external_entity.xml",
            "html_page.html",
            "empty.xml",
            "gone.xml",
            "broken.xml",
            "bomb.xml",
            "wire_v1.xml",
        ]
        small = settings.model_copy(update={"max_decoded_bytes": 5 * 1024 * 1024})
        report = poll_once([srv.url_for(n) for n in names], small, kafka, topics)
    assert report.feeds_polled == 8 and report.ok == 1 and report.entries_sent == 3
    assert report.errors == report.dead_letters == 7
    assert report.errors_by_kind == {
        "entity_refused": 2,
        "not_a_feed": 1,
        "empty_body": 1,
        "http_4xx": 1,
        "http_5xx": 1,
        "too_large": 1,
    }
    failures = {
        f.feed_url.rsplit("/", 1)[1]: f
        for f in (decode_failure(v) for _, v in read_all(kafka, topics.dead_letter))
    }
    assert set(failures) == set(names) - {"wire_v1.xml"}
    assert (
        failures["billion_laughs.xml"].stage == "poll"
        and "expansion bomb" in failures["billion_laughs.xml"].reason
    )
    assert failures["html_page.html"].original.startswith(b"<!DOCTYPE html>")
    assert failures["gone.xml"].error_type == "http_4xx"
    state = StateStore(settings.state_path)
    assert state.feed(srv.url_for("gone.xml")).consecutive_errors == 1
    assert state.feed(srv.url_for("gone.xml")).next_poll_ms > time.time() * 1000


def test_retry_after_and_permanent_redirect(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        srv.script("busy.xml", Behaviour(status=429, retry_after="3600"))
        srv.script("old.xml", Behaviour(redirect_to="wire_v1.xml", status=301))
        poll_once([srv.url_for("old.xml")], settings, kafka, topics)
        report = poll_once([srv.url_for("busy.xml")], settings, kafka, topics)
        state = StateStore(settings.state_path)
        assert state.feed(srv.url_for("old.xml")) is None
        assert state.feed(srv.url_for("wire_v1.xml")).moved_from == srv.url_for("old.xml")
        busy = state.feed(srv.url_for("busy.xml"))
        assert report.errors == 1 and busy.next_poll_ms >= (time.time() + 3590) * 1000


def test_per_host_cool_down_defers_other_feeds(kafka, topics, settings, feeds_dir):
    one_at_a_time = settings.model_copy(update={"workers": 1, "per_host_concurrency": 1})
    with DevServer(feeds_dir) as srv:
        srv.script("a_busy.xml", Behaviour(status=503, retry_after="600"))
        rng = random.Random(1)
        with Poller(one_at_a_time, kafka, topics, rng=rng) as poller:
            urls = poller.sync(
                [srv.url_for("a_busy.xml"), srv.url_for("wire_v1.xml"), srv.url_for("drift_1.xml")]
            )
            poller.run_once([urls[0]])
            report = poller.run_once(urls[1:])
        assert report.deferred == 2 and report.feeds_polled == 0
        assert not srv.hits_for("wire_v1.xml")


class Collector(threading.Thread):
    """Reads a topic as records arrive, so what was acked before the broker dies is seen (storage is memory://)."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        super().__init__(daemon=True)
        self.kafka, self.topic = kafka, topic
        self.records: list[tuple[bytes, bytes]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        consumer = KafkaConsumer(**consumer_config(self.kafka, group_id=None))
        tp = TopicPartition(self.topic, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        while not self.stop.is_set():
            for batch in consumer.poll(timeout_ms=100).values():
                self.records.extend((r.key, r.value) for r in batch)
        consumer.close(autocommit=False)


def test_broker_down_then_killed_mid_poll_loses_nothing(tmp_path, settings, feeds_dir):
    """Broker absent: no crash, nothing advanced.  Broker killed mid-poll, restarted: every entry arrives."""
    port = free_port()
    topics = TopicSettings(raw="raw-outage", dead_letter="dlq-outage")
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}")
    names = ["wire_v1.xml", "drift_1.xml", "feed.json"]
    one_by_one = settings.model_copy(update={"delivery_timeout_s": 3, "workers": 1})
    with DevServer(feeds_dir) as srv:
        urls = [srv.url_for(n) for n in names]
        t0 = time.monotonic()
        report = poll_once(urls, one_by_one, kafka, topics)  # nothing listening yet
        assert report.broker_down and report.feeds_polled == 0 and time.monotonic() - t0 < 10
        assert all(
            f.polls == 0 and f.next_poll_ms <= time.time() * 1000
            for f in StateStore(one_by_one.state_path).feeds()
        )

        broker = EmbeddedBroker(port=port, storage="memory", state_dir=tmp_path / "b1").start()
        collector = Collector(kafka, topics.raw)

        requests: list[int] = []

        def kill_broker_on_third_request() -> None:  # runs in the server thread while the poller waits
            requests.append(1)
            if len(requests) == 3:
                # the first two feeds' records reach the broker (linger 5 ms) and the collector before the kill
                deadline = time.monotonic() + 15
                while len({k.split(b"/")[0] for k, _ in collector.records}) < 2:
                    assert time.monotonic() < deadline, "the first two feeds' records never arrived"
                    time.sleep(0.05)
                broker.proc.kill()
                broker.proc.wait()

        try:
            from pipeline.bus.client import ensure_topics

            ensure_topics(kafka, [topics.raw, topics.dead_letter])
            collector.start()
            for name in names:
                srv.script(name, Behaviour(hook=kill_broker_on_third_request, times=1))
            report = poll_once(urls, one_by_one, kafka, topics)
            assert report.delivery_failures >= 1
        finally:
            collector.stop.set()
            collector.join(10)
            broker.stop()
        state = StateStore(one_by_one.state_path)
        undelivered = [f for f in state.feeds() if f.last_error_kind == "delivery"]
        assert undelivered and all(
            f.etag is None and f.entries_sent == 0 for f in undelivered
        )  # nothing advanced

        with EmbeddedBroker(port=port, storage="memory", state_dir=tmp_path / "b2"):
            report = poll_once(urls, one_by_one, kafka, topics, force=True)
            assert report.delivery_failures == 0
            after = read_all(kafka, topics.raw)
            assert poll_once(urls, one_by_one, kafka, topics, force=True).entries_sent == 0
    assert (
        collector.records and after
    )  # some entries were acked before the kill, the rest only after the restart
    keys = [k for k, _ in collector.records + after]
    assert (
        len(set(keys)) == 3 + 4 + 2
    )  # every entry of the three feeds arrived; exactly once after dedup by key
    titles = {decode_raw_entry(v).title for _, v in collector.records + after}
    assert {"Second dispatch", "Story A", "First JSON item"} <= titles


def test_every_corpus_feed_goes_to_a_record_or_a_dead_letter(kafka, topics, settings):
    assert CORPORA.is_dir(), f"shared corpora not found at {CORPORA}"
    files = sorted(
        p
        for p in CORPORA.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rss", ".atom", ".json", ".html")
    )
    with DevServer(CORPORA) as srv:
        urls = [srv.url_for(str(p.relative_to(CORPORA))) for p in files]
        busy = settings.model_copy(update={"workers": 16, "max_feeds_per_tick": 5000})
        report = poll_once(urls, busy, kafka, topics)
    assert report.feeds_polled == len(files) > 2000
    assert report.ok + report.errors == len(files) and report.delivery_failures == 0
    assert report.dead_letters == report.errors and set(report.errors_by_kind) <= {
        "not_a_feed",
        "malformed",  # feedparser's illformed cases from which no entry could be recovered
        "entity_refused",
        "empty_body",
    }
    raw = read_all(kafka, topics.raw)
    assert len(raw) == report.entries_sent > 1500
    assert len(read_all(kafka, topics.dead_letter)) == report.dead_letters


def test_robots_txt_when_enabled(kafka, topics, settings, feeds_dir):
    (feeds_dir / "private").mkdir()
    shutil.copy(feeds_dir / "wire_v1.xml", feeds_dir / "private" / "wire.xml")
    shutil.copy(feeds_dir / "robots_disallow.txt", feeds_dir / "robots.txt")
    polite = settings.model_copy(update={"respect_robots": True})
    with DevServer(feeds_dir) as srv:
        report = poll_once(
            [srv.url_for("private/wire.xml"), srv.url_for("wire_v1.xml")], polite, kafka, topics
        )
        assert report.errors_by_kind == {"robots": 1} and report.entries_sent == 3
        assert not srv.hits_for("private/wire.xml") and len(srv.hits_for("robots.txt")) == 1
    failure = decode_failure(read_all(kafka, topics.dead_letter)[0][1])
    assert failure.error_type == "robots" and "robots.txt" in failure.reason


def test_restart_polls_only_what_is_due(kafka, topics, settings, feeds_dir):
    with DevServer(feeds_dir) as srv:
        urls = [srv.url_for("wire_v1.xml"), srv.url_for("feed.json")]
        assert poll_once(urls, settings, kafka, topics).feeds_polled == 2
        assert poll_once(None, settings, kafka, topics).feeds_polled == 0  # a new process: nothing due yet
        later = time.time() + settings.max_interval_s + 3600
        assert poll_once(None, settings, kafka, topics, clock=lambda: later).not_modified == 2


def test_metrics_endpoint(kafka, topics, settings, feeds_dir):
    port = free_port()
    with DevServer(feeds_dir) as srv, Poller(settings, kafka, topics, metrics=PollerMetrics()) as poller:
        poller.metrics.serve(port)
        poller.run_once(poller.sync([srv.url_for("wire_v1.xml"), srv.url_for("empty.xml")]))
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    assert 'poller_polls_total{status="200"} 2.0' in text
    assert 'poller_entries_sent_total{kind="new"} 3.0' in text
    assert 'poller_errors_total{kind="empty_body"} 1.0' in text
    assert "poller_poll_lag_seconds_count 2.0" in text and "poller_bytes_total" in text


def test_cli_poll_and_status(kafka, topics, tmp_path, feeds_dir):
    state = tmp_path / "cli.sqlite3"
    feeds_yaml = tmp_path / "feeds.yaml"
    with DevServer(feeds_dir) as srv:
        feeds_yaml.write_text(
            f"feeds:\n  - {srv.url_for('wire_v1.xml')}\n  - url: {srv.url_for('empty.xml')}\n"
            f"    interval: 10m\n"
        )
        cmd = [
            sys.executable,
            "-m",
            "pipeline.cli",
            "poll",
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--state",
            str(state),
            "--feeds",
            str(feeds_yaml),
            "--allow-private-hosts",
            "127.0.0.1",
            "--raw-topic",
            topics.raw,
            "--dead-letter-topic",
            topics.dead_letter,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
        assert out.returncode == 0, out.stderr
        assert (
            "2 feeds: 1 ok, 0 not modified, 1 errors; 3 new + 0 updated entries sent, 1 dead letters"
            in out.stdout
        )
        status = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "feeds", "status", "--state", str(state)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env={"COLUMNS": "200", "PATH": ""},
        )
        assert status.returncode == 0, status.stderr
        assert "empty_body" in status.stdout and "Wire Test" in status.stdout
        assert "outbox: 3 delivered records" in status.stdout
        feeds_yaml.write_text(f"feeds:\n  - {srv.url_for('wire_v1.xml')}\n")  # the YAML drops a feed
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=REPO)
        assert out.returncode == 0 and out.stdout.startswith("0 feeds"), out  # nothing due, one feed fewer
        listed = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "feeds", "list", "--state", str(state)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
        assert listed.stdout.split() == [srv.url_for("wire_v1.xml"), "Wire", "Test"]


def test_loop_keeps_schedule_and_stops_cleanly(kafka, topics, settings, feeds_dir):
    with (
        DevServer(feeds_dir) as srv,
        Poller(settings.model_copy(update={"tick_s": 0.2}), kafka, topics) as poller,
    ):
        poller.sync([srv.url_for("wire_v1.xml")])
        stop, ticks = threading.Event(), []
        t = threading.Thread(target=poller.run_forever, args=(stop, ticks.append))
        t.start()
        deadline = time.monotonic() + 30
        while not any(r.feeds_polled for r in ticks) and time.monotonic() < deadline:
            time.sleep(0.05)
        polled_at = len(ticks)
        while (
            len(ticks) < polled_at + 5 and time.monotonic() < deadline
        ):  # five more ticks: nothing due again
            time.sleep(0.05)
        stop.set()
        t.join(10)
    assert not t.is_alive()
    assert polled_at and len(ticks) >= polled_at + 5, f"ticks before the deadline: {len(ticks)}"
    assert sum(r.feeds_polled for r in ticks) == 1  # polled once, then not due again for min_interval
