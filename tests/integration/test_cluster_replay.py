"""A record read again after a crash keeps the cluster its first pass wrote, on both state placements.

The output topic holds the English original as an earlier run wrote it, with a cluster id that no rule would give
it afresh (as if later records had joined it to another story first).  The same record then goes through
``ClusterEvents`` with restore from that topic: in-process index and keyed blocks must both keep that cluster id
and report no merge.  Decided afresh it would open a cluster of its own story.
"""

from __future__ import annotations

import uuid

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.beam.graph import ItemEncoder
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.settings import KafkaSettings, TopicSettings
from pipeline.transforms.cluster import MERGES, ClusterEvents
from pipeline.transforms.dedup.restore import RestoreSource
from tests.support import Clock
from tests.unit.cluster.records import enriched

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "keyed"])
def test_a_replayed_record_keeps_the_cluster_written_for_it(
    kafka: KafkaSettings, topics: TopicSettings, in_process: bool
) -> None:
    ensure_topics(kafka, [topics.output])
    record = enriched("seed-en")
    earlier = str(uuid.uuid5(uuid.NAMESPACE_URL, "some other story"))
    ((key, value),) = ItemEncoder(None, topics.output)(record.with_cluster(earlier))
    producer = make_producer(kafka)
    producer.send(topics.output, key=key, value=value).get(timeout=10)
    producer.close()

    restore = RestoreSource(kafka, topics.output, run=f"replay-{in_process}-{uuid.uuid4().hex[:6]}")
    with TestPipeline(runner="FnApiRunner") as p:
        out = (
            p
            | beam.Create([record], reshuffle=False)
            | ClusterEvents(horizon_s=10 * 365 * 86400, clock=Clock(), restore=restore, in_process=in_process)
        )
        assert_that(out["main"] | beam.Map(lambda e: e.cluster_id), equal_to([earlier]), label="Cluster")
        assert_that(out[MERGES], equal_to([]), label="NoMerge")
