"""The commands: ``poll --loop --websub`` subscribes and takes pushes beside polling; ``websub serve`` on a port
that is taken fails with one line; ``websub status`` shows the subscription."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.websub.store import WebSubStore
from tests.integration.websub_hub import LoopbackHub, stories, story_feed, wait_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def test_poll_loop_with_websub_takes_pushes(
    tmp_path: Path, kafka: KafkaSettings, topics: TopicSettings
) -> None:
    state = tmp_path / "poller.sqlite3"
    (first, second) = stories(2)
    with DevServer() as server, LoopbackHub() as hub:
        feed_url = server.url_for("feed.atom")
        server.put(
            "feed.atom",
            story_feed(hub.url, feed_url, [(1, *first)]),
            {"Content-Type": "application/atom+xml"},
        )
        cmd = cli(
            "poll", "--loop", "--websub", "--websub-port", "0", "--state", str(state),
            "--bootstrap-servers", kafka.bootstrap_servers, "--raw-topic", topics.raw,
            "--dead-letter-topic", topics.dead_letter, "--allow-private-hosts", "127.0.0.1",
        )  # fmt: skip
        subprocess.run(
            cli("feeds", "add", feed_url, "--state", str(state)), env=ENV, check=True, capture_output=True
        )
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            wait_for(lambda: hub.active(feed_url), 60, "the loop subscribed at the hub")
            assert hub.publish(feed_url, story_feed(hub.url, feed_url, [(1, *first), (2, *second)])) == [200]
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    titles = [r["title"] for r in read_topic(kafka, ConsumeOptions(topic=topics.raw, idle_timeout_s=1.5))]
    assert sorted(titles) == sorted([first[0], second[0]])  # one polled, one pushed, each once
    store = WebSubStore(state)
    try:
        (sub,) = store.subscriptions()
        assert (sub.state, sub.pushes, sub.entries_sent) == ("active", 1, 1)
    finally:
        store.close()
    status = subprocess.run(
        cli("websub", "status", "--state", str(state)), env=ENV, capture_output=True, text=True
    )
    assert status.returncode == 0
    assert f"{feed_url}\t{hub.url}\tactive\t" in status.stdout and "1 subscriptions" in status.stdout


def test_serve_on_a_taken_port_is_one_clear_line(tmp_path: Path, kafka: KafkaSettings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        r = subprocess.run(
            cli("websub", "serve", "--state", str(tmp_path / "s.sqlite3"), "--websub-port", str(port),
                "--bootstrap-servers", kafka.bootstrap_servers),
            env=ENV, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert r.returncode == 2 and time.monotonic() - started < 60
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "cannot serve WebSub callbacks" in r.stderr
    assert "Traceback" not in r.stderr
