"""A local run closes the Kafka clients its steps shared (io/kafka/sink.py ``close_shared_producers``, source.py
``close_sizers``): none of their network threads outlives ``run()``, and a second run in the same process builds new
ones and still writes every record.  (The embedded broker waits 5 s for any client connection still open when it
stops: ``news-pipeline demo`` idled 5 s before exiting.)"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.bus.client import ensure_topics
from pipeline.settings import KafkaSettings, TopicSettings
from tests.integration.test_run_signals import _count, _send

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, sys, threading, time
from pipeline.beam.run import run
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
bootstrap, raw, out, dlq, audit, out_dir = sys.argv[1:]

def kafka_threads():
    deadline = time.monotonic() + 5.0  # a closed client's thread is joined by close(); allow it a moment
    while True:
        names = sorted(t.name for t in threading.enumerate() if t.name.startswith("kafka-io") or "network-thread" in t.name)
        if not names or time.monotonic() > deadline:
            return names
        time.sleep(0.05)

settings = PipelineSettings(
    kafka=KafkaSettings(bootstrap_servers=bootstrap),
    topics=TopicSettings(raw=raw, output=out, dead_letter=dlq, audit=audit),
    consumer_group="g-" + out, out_dir=out_dir, ner=False, enrich_processes=0,
)
report = []
for _ in range(2):
    state = run(settings)
    report.append({"state": state, "threads": kafka_threads()})
    sys.stdin.readline()  # the parent sends more records before the second run
print(json.dumps(report))
"""


def test_a_run_leaves_no_kafka_client_behind_and_a_second_run_still_writes(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    _send(kafka, topics.raw, range(0, 6))
    argv = [
        kafka.bootstrap_servers,
        topics.raw,
        topics.output,
        topics.dead_letter,
        topics.audit,
        str(tmp_path),
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdin is not None
    _wait_for_count(kafka, topics.output, 6)
    _send(kafka, topics.raw, range(6, 10))
    child.stdin.write("\n\n")
    child.stdin.flush()
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err[-3000:]
    first, second = json.loads(out.strip().splitlines()[-1])
    assert first["state"] in ("DONE", "PipelineState.DONE") and second["state"] == first["state"]
    assert first["threads"] == [] and second["threads"] == []
    assert _count(kafka, topics.output) == 10


def _wait_for_count(kafka: KafkaSettings, topic: str, n: int, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _count(kafka, topic) < n:  # each count reads the topic until it idles 1.5 s
        assert time.monotonic() < deadline, f"{topic} never reached {n} records"
