"""A pipeline run in its own process (``news-pipeline run``) tunes that process's garbage collector
(beam/gc_tuning.py); ``run()`` called as a library leaves the caller's collector alone.  Both runs still drain
every record."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.beam import gc_tuning
from pipeline.bus.client import ensure_topics
from pipeline.settings import KafkaSettings, TopicSettings
from tests.integration.test_run_signals import _count, _send
from tests.support import json_child

pytestmark = pytest.mark.integration

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
    return json_child(CHILD, *args)


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
