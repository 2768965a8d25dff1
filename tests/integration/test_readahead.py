"""The reads a local run makes before its first record start when the graph is built (pipeline/beam/readahead.py).

A first drain leaves news items on the output topic and a dead letter on the dead-letter topic.  Building a second
run's graph on the single-process local runner (not running it) must by itself fill the three caches the stages read
from in their setup, with what reading the topics gives: dedup's and clustering's snapshots of the output topic and
the dead letters already written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import apache_beam as beam
import pytest

from pipeline.avro import codec
from pipeline.beam import graph
from pipeline.beam.run import local_runner, make_options, run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.dlq import written
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from pipeline.transforms.cluster import restore as cluster_restore
from pipeline.transforms.dedup import restore as dedup_restore
from tests.integration.test_poison_input import entry

pytestmark = pytest.mark.integration

DEADLINE_S = 30.0


def _entry(i: int) -> RawEntry:
    body = " ".join(f"word{(i * 7 + k) % 97} harbour strike talks number{i}" for k in range(30))
    return entry(i, f"<p>{body}.</p>")


def _cached(cache: dict, topic: str, before: set) -> list:
    """Values cached for ``topic`` under keys that were not there ``before`` (keys hold the run's id)."""
    return [v for k, v in list(cache.items()) if topic in k and k not in before]


def _wait_for(what: str, found: callable) -> list:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        values = found()
        if values:
            return values
        time.sleep(0.05)
    raise AssertionError(f"{what} not read within {DEADLINE_S} s of building the graph")


def test_building_a_local_graph_starts_the_restores_and_the_dead_letter_read(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    producer = make_producer(kafka)
    for value in [codec.encode_raw_entry(_entry(i)) for i in range(5)] + [os.urandom(500)]:
        producer.send(topics.raw, value=value)
    producer.flush()
    producer.close()
    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir="", ner=False)
    assert run(settings).endswith("DONE")

    caches = {
        "dedup": dedup_restore.shared.__self__._cache,
        "cluster": cluster_restore.shared.__self__._cache,
        "written": written._cache,
    }
    before = {name: set(cache) for name, cache in caches.items()}  # the first run's entries

    p = beam.Pipeline(runner=local_runner(), options=make_options(settings))
    graph.build(p, settings.model_copy(update={"consumer_group": "news-pipeline-second"}))

    def new(name: str, topic: str) -> list:
        return _wait_for(name, lambda: _cached(caches[name], topic, before[name]))

    assert [s.records for s in new("dedup", topics.output)] == [5]
    assert [len(s.entries) for s in new("cluster", topics.output)] == [5]
    assert [len(keys) for keys in new("written", topics.dead_letter)] == [1]
