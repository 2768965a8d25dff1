"""`news-pipeline run --mode stream` as a real process: it keeps reading new records, and SIGTERM/SIGINT stop it
cleanly after flushing and committing (a later drain run finds nothing left to read)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.avro.codec import encode_raw_entry
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

pytestmark = pytest.mark.integration


def _entry(i: int) -> RawEntry:
    html = f"<p>PARIS, 24 novembre (AFP) - Dépêche numéro {i} sur la réunion des ministres des finances.</p>"
    return RawEntry(
        feed_url="http://127.0.0.1/feed.xml",
        entry_key=f"g:{i}",
        content_hash=str(i),
        guid=f"urn:test:{i}",
        link=f"https://example.org/depeche/{i}",
        title=f"Dépêche {i}",
        content=html,
        content_type="text/html",
    )


def _send(kafka: KafkaSettings, topic: str, items: range) -> None:
    producer = make_producer(kafka)
    for i in items:
        producer.send(topic, key=f"g:{i}".encode(), value=encode_raw_entry(_entry(i)))
    producer.flush()
    producer.close()


def _count(kafka: KafkaSettings, topic: str) -> int:
    return sum(1 for _ in read_topic(kafka, ConsumeOptions(topic=topic, idle_timeout_s=1.5)))


def _stream_cmd(kafka: KafkaSettings, topics: TopicSettings, tmp_path) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.cli", "run", "--mode", "stream", "--no-ner",
        "--bootstrap-servers", kafka.bootstrap_servers, "--group", f"g-{topics.raw}",
        "--raw-topic", topics.raw, "--output-topic", topics.output,
        "--dead-letter-topic", topics.dead_letter, "--audit-topic", topics.audit, "--out-dir", str(tmp_path / "out"),
    ]  # fmt: skip


def _wait_for(predicate, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1.0)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stream_mode_picks_up_new_records_and_stops_cleanly_on_signal(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path, sig: signal.Signals
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    _send(kafka, topics.raw, range(0, 5))
    proc = subprocess.Popen(
        _stream_cmd(kafka, topics, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for(lambda: _count(kafka, topics.output) == 5)
        _send(kafka, topics.raw, range(5, 8))  # produced while the pipeline runs
        _wait_for(lambda: _count(kafka, topics.output) == 8)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"pipeline finished: DONE" in err
    # offsets were committed on the way out: a drain run of the same group reads nothing new
    settings = PipelineSettings(
        kafka=kafka, topics=topics, consumer_group=f"g-{topics.raw}", out_dir="", ner=False, mode="drain"
    )
    assert run(settings).endswith("DONE")
    assert _count(kafka, topics.output) == 8


def _spawned_children(pid: int) -> list[int]:
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:  # the process has exited: the caller's loop sees it
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
        except FileNotFoundError:  # the thread ended since the listing (start-up threads come and go)
            continue
    out = []
    for kid in kids:
        try:
            with open(f"/proc/{kid}/cmdline", "rb") as fh:
                if b"spawn_main" in fh.read():
                    out.append(kid)
        except OSError:
            pass
    return out


def test_sigterm_during_start_up_ends_it_in_one_line(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path
) -> None:
    """SIGTERM once the stage pool's worker is spawned (before Beam's import and before the run installs its own
    handlers): one line and exit 130, as Ctrl-C, and the worker gone; before, the default death (-15) and the
    resource tracker's leaked-semaphore warnings."""
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    cmd = [*_stream_cmd(kafka, topics, tmp_path), "--enrich-processes", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and proc.poll() is None and time.monotonic() < deadline:
            workers = _spawned_children(proc.pid)
            time.sleep(0.01)
        assert workers, "no stage worker seen"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.decode()
    assert proc.returncode == 130, text[-2000:]
    assert text.strip().splitlines()[-1] == "news-pipeline: interrupted"
    assert "Traceback" not in text and "leaked" not in text, text[-2000:]
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{w}") for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{w}") for w in workers)
