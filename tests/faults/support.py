"""What several fault tests share: waiting on a condition, the broker CLI in a subprocess, a poller loop over
loopback feeds.  (A plain module, not a test module: test modules importing each other load twice under pytest's
importlib mode.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient

from pipeline.settings import KafkaSettings, TopicSettings

REPO = Path(__file__).resolve().parents[2]


def wait_until(what: str, check: Callable[[], Any], timeout_s: float, every_s: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as exc:  # retried until the deadline, reported then
            last, value = exc, None
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what} not reached within {timeout_s}s (last error: {last!r})")


class BrokerCli:
    """``news-pipeline broker`` in a subprocess with its own state directory."""

    def __init__(self, state: Path, port: int, storage: str = "s3"):
        self.state, self.port, self.storage = state, port, storage
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def marker(self) -> Path:
        return self.state / "broker.json"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "NEWS_PIPELINE_HOME": str(self.state), "PYTHONPATH": str(REPO)}
        cmd = [
            sys.executable,
            "-m",
            "pipeline.cli",
            "broker",
            "--port",
            str(self.port),
            "--storage",
            self.storage,
        ]
        log = open(self.state.parent / f"{self.state.name}-cli.log", "ab")  # noqa: SIM115
        try:
            return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def start(self, timeout_s: float = 90.0) -> float:
        """Start and wait for the first successful metadata call; returns the seconds that took."""
        t0 = time.monotonic()
        self.proc = self.spawn()

        def metadata_ok() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "broker CLI exited while starting"
            info = json.loads(self.marker.read_text())
            if info.get("pid") != self.proc.pid:
                return False
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            try:
                admin.list_topics()
            finally:
                admin.close()
            return True

        wait_until("broker ready (broker.json + metadata)", metadata_ok, timeout_s, every_s=0.1)
        return time.monotonic() - t0

    def info(self) -> dict[str, Any]:
        return json.loads(self.marker.read_text())

    def tree(self) -> list[tuple[int, str]]:
        """(pid, executable) of the CLI and every child it recorded."""
        info = self.info()
        assert self.proc is not None
        return [(self.proc.pid, ""), *((c["pid"], c["executable"]) for c in info["children"])]

    def stop_quietly(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def rss(feed: int, entries: int) -> bytes:
    items = "".join(
        f"<item><guid>urn:f{feed}:e{e}</guid><title>Feed {feed} dispatch {e}</title>"
        f"<link>http://example.org/{feed}/{e}</link><description>Body {feed}.{e}</description></item>"
        for e in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>{items}</channel></rss>'.encode()


def wait_for(condition: Callable[[], object], timeout_s: float, what: str, every_s: float = 0.1) -> float:
    """Wait until ``condition()`` is true; returns the seconds it took, fails the test after ``timeout_s``."""
    t0 = time.monotonic()
    while not condition():
        if time.monotonic() - t0 > timeout_s:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)
    return time.monotonic() - t0


def start_loop(
    kafka: KafkaSettings, topics: TopicSettings, state: Path, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "poll",
        "--loop",
        "--bootstrap-servers",
        kafka.bootstrap_servers,
        "--state",
        str(state),
        "--raw-topic",
        topics.raw,
        "--dead-letter-topic",
        topics.dead_letter,
        "--allow-private-hosts",
        "127.0.0.1",
        "--per-host-rate",
        "10000",
        "--contact",
        "mailto:faults@example.invalid",
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop_loop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return -9
    return proc.returncode
