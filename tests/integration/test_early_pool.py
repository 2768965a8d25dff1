"""``news-pipeline run`` on the single-process local runner starts its stage pool before Beam is imported
(pipeline/cli.py ``_pool_started_early``, enrich/pool.py ``start_early``); the graph built afterwards must take those
very workers, not start a second pool beside them (which would put twice the workers on the same cores)."""

from __future__ import annotations

import apache_beam as beam
import pytest

from pipeline.beam import graph
from pipeline.beam.run import local_runner, make_options
from pipeline.bus.client import ensure_topics
from pipeline.cli import _pool_started_early
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from pipeline.transforms.enrich import pool

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("ner", [False, True])
def test_the_graph_takes_the_pool_started_before_beam(
    kafka: KafkaSettings, topics: TopicSettings, ner: bool
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit], 1)
    requested = PipelineSettings(
        kafka=kafka, topics=topics, mode="drain", out_dir="", ner=ner, enrich_processes=1
    )
    key = (1, None, ner)  # what the graph's stages ask shared_pool for: its enrich stage's languages are None
    before = dict(pool._POOLS)
    settings = _pool_started_early(requested)
    assert settings.enrich_processes == 1
    early_pool = pool._POOLS[key]  # (an earlier test's pool with this key, if it left one: the same rule)
    early = dict(pool._POOLS)
    try:
        p = beam.Pipeline(runner=local_runner(), options=make_options(settings))
        graph.build(p, settings)
        now = dict(pool._POOLS)
        assert now == early  # same keys, same pool objects: nothing started beside the early workers
        assert early_pool.ready(wait=True)  # the early workers are real and come up
    finally:
        if before.get(key) is not early_pool:
            pool.drop_pool(early_pool)
            early_pool.shutdown()
