"""What a person meets on the unhappy paths, run as real processes: the CLI in a subprocess, the real embedded
broker, a closed port for "dead broker", a real HTTP server.  Each error is one line on stderr and a non-zero
exit within seconds, with no traceback (issue 16)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.bus.broker import free_port
from pipeline.devserver import DevServer
from pipeline.ops.offsets import topic_names
from pipeline.settings import KafkaSettings, TopicSettings
from tests.conftest import REPO

FAST_S = 15.0  # generous for a loaded 2-core machine: the interpreter alone takes ~1.5 s to import the CLI


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def cli(*args: str, cwd: Path | None = None, timeout: float = 120.0) -> Run:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120"}
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - t0)


def one_line_error(run: Run, *words: str) -> str:
    """The run failed fast with exactly one line on stderr that contains ``words``; returns the line."""
    assert run.code != 0, run
    assert "Traceback" not in run.err, run.err
    assert len(run.err_lines) == 1, run.err
    assert run.seconds < FAST_S, run.seconds
    line = run.err_lines[0]
    assert line.startswith("news-pipeline: error: "), line
    for word in words:
        assert word in line, line
    return line


def closed_port() -> str:
    return f"127.0.0.1:{free_port()}"  # bound and released: nothing listens there


def test_inspect_missing_file(tmp_path: Path) -> None:
    one_line_error(cli("inspect", str(tmp_path / "nope.txt")), "no such file", "nope.txt")


def test_inspect_unreachable_url() -> None:
    url = f"http://{closed_port()}/feed.xml"
    one_line_error(cli("inspect", url), "cannot fetch", url)


def test_inspect_refuses_50_mb_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "random.bin"
    with big.open("wb") as fh:
        for _ in range(50):
            fh.write(os.urandom(1024 * 1024))
    one_line_error(cli("inspect", str(big)), "larger than", "--max-bytes")


def test_inspect_refuses_an_oversized_response() -> None:
    with DevServer(Path(__file__).parent) as server:
        server.put("huge.xml", b"<rss><channel>" + b"x" * (3 * 1024 * 1024) + b"</channel></rss>")
        one_line_error(cli("inspect", server.url_for("huge.xml")), "larger than")


@pytest.mark.parametrize(
    ("name", "body", "words"),
    [
        ("empty.txt", b"", ("is empty",)),
        ("blank.txt", b" \n\n\t \n", ("is empty",)),
        ("random.bin", None, ("is not text",)),
        ("blank.html", b"<html><body><script>var x = 1;</script></body></html>", ("no text left",)),
        ("empty-feed.xml", b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>",
         ("no entries",)),
    ],
)  # fmt: skip
def test_inspect_refuses_input_that_is_not_news(tmp_path: Path, name: str, body: bytes | None, words) -> None:
    path = tmp_path / name
    path.write_bytes(os.urandom(100_000) if body is None else body)
    run = cli("inspect", "--no-ner", str(path))
    one_line_error(run, name, *words)
    assert run.out == ""  # no junk record


def test_consume_and_run_against_a_dead_broker(tmp_path: Path) -> None:
    dead = closed_port()
    for command in (["consume"], ["run", "--no-ner"], ["topics"], ["dlq", "list"]):
        line = one_line_error(
            cli(*command, "--bootstrap-servers", dead, cwd=tmp_path), "cannot reach Kafka", dead
        )
        assert "Connection refused" in line


def test_consume_a_missing_topic_and_a_bad_time(kafka: KafkaSettings) -> None:
    bs = ["--bootstrap-servers", kafka.bootstrap_servers]
    one_line_error(cli("consume", *bs, "--topic", "no.such.topic"), "no such topic", "no.such.topic")
    one_line_error(cli("consume", *bs, "--from-time", "yesterday"), "--from-time", "ISO 8601")
    assert "no.such.topic" not in topic_names(kafka)


def test_run_refuses_a_missing_raw_topic_and_creates_nothing(
    kafka: KafkaSettings, topics: TopicSettings
) -> None:
    run = cli("run", "--bootstrap-servers", kafka.bootstrap_servers, "--raw-topic", topics.raw, "--no-ner")
    one_line_error(run, "no such raw topic", topics.raw, "--create-topics")
    assert run.code == 2
    assert topics.raw not in topic_names(kafka)


def test_run_creates_the_raw_topic_when_asked(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    run = cli(
        "run", "--bootstrap-servers", kafka.bootstrap_servers, "--create-topics", "--no-ner",
        "--raw-topic", topics.raw, "--output-topic", topics.output, "--dead-letter-topic", topics.dead_letter,
        "--audit-topic", topics.audit, "--group", f"g-{topics.raw}", "--out-dir", str(tmp_path / "out"),
    )  # fmt: skip
    assert run.code == 0, run.err
    assert {topics.raw, topics.output, topics.dead_letter, topics.audit} <= set(topic_names(kafka))


def test_poll_exits_non_zero_with_reasons_when_every_feed_fails(kafka: KafkaSettings, tmp_path: Path) -> None:
    state = str(tmp_path / "poller.sqlite3")
    urls = [f"http://{closed_port()}/a.xml", f"http://{closed_port()}/b.xml"]
    for url in urls:
        assert cli("feeds", "add", url, "--state", state).code == 0
    run = cli(
        "poll", "--bootstrap-servers", kafka.bootstrap_servers, "--state", state,
        "--allow-private-hosts", "127.0.0.1", "--raw-topic", f"raw-{tmp_path.name}",
    )  # fmt: skip
    assert run.code == 1
    assert "Traceback" not in run.err
    assert run.err_lines[-1] == "news-pipeline: error: every feed failed to poll"
    for url in urls:
        assert any(line.strip().startswith(url) and "refused" in line for line in run.err_lines), run.err
    # without --allow-private-hosts the loopback feeds are refused, and the hint says which flag to add
    run = cli("poll", "--bootstrap-servers", kafka.bootstrap_servers, "--state", state, "--force")
    assert run.code == 1
    assert "--allow-private-hosts" in run.err_lines[-1], run.err


def test_verbose_keeps_the_traceback(tmp_path: Path) -> None:
    run = cli("inspect", "-v", str(tmp_path / "nope.txt"))
    assert run.code != 0
    assert "Traceback" in run.err and "FileNotFoundError" in run.err


def test_demo_leaves_a_running_broker_alone(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    broker = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "broker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        marker = tmp_path / ".news-pipeline" / "broker.json"
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert broker.poll() is None and time.monotonic() < deadline, "broker did not start"
            time.sleep(0.1)
        recorded = json.loads(marker.read_text())
        run = cli("demo", "--no-ner", "--out-dir", str(tmp_path / "out"), cwd=tmp_path, timeout=300)
        assert run.code == 0, run.err
        assert json.loads(marker.read_text()) == recorded  # still the user's broker, not the demo's
        assert broker.poll() is None
        assert cli("topics", cwd=tmp_path).code == 0  # and later commands still find it
    finally:
        broker.send_signal(signal.SIGINT)  # SIGINT stops tansu too (it runs in its own session)
        broker.wait(timeout=30)
