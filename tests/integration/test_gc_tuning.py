"""A pipeline run in its own process (``news-pipeline run``) tunes that process's garbage collector
(beam/gc_tuning.py); ``run()`` called as a library leaves the caller's collector alone.  Both runs still drain
every record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.beam import gc_tuning
from pipeline.bus.client import ensure_topics
from pipeline.settings import KafkaSettings, TopicSettings
from tests.integration.test_run_signals import _count, _send

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json, sys
from pipeline.beam.run import run
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
bootstrap, raw, out, dlq, audit, own, out_dir = sys.argv[1:]
before = gc.get_threshold()
settings = PipelineSettings(
    kafka=KafkaSettings(bootstrap_servers=bootstrap),
    topics=TopicSettings(raw=raw, output=out, dead_letter=dlq, audit=audit),
    consumer_group="g-" + out, out_dir=out_dir, ner=False, enrich_processes=0,
)
state = run(settings, own_process=own == "1") if own != "-" else run(settings)
print(json.dumps({"state": state, "before": before, "after": gc.get_threshold()}))
"""


def _child(kafka: KafkaSettings, topics: TopicSettings, own: str, out_dir: Path) -> dict:
    args = [
        kafka.bootstrap_servers,
        topics.raw,
        topics.output,
        topics.dead_letter,
        topics.audit,
        own,
        str(out_dir),
    ]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("own", ["1", "-"])
def test_only_a_run_in_its_own_process_tunes_the_collector(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path, own: str
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    _send(kafka, topics.raw, range(0, 6))
    got = _child(kafka, topics, own, tmp_path / "out")
    assert got["state"] in ("DONE", "PipelineState.DONE")
    assert _count(kafka, topics.output) == 6
    if own == "1":
        assert tuple(got["after"]) == gc_tuning.THRESHOLDS != tuple(got["before"])
    else:
        assert got["after"] == got["before"]
