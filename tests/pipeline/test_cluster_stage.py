"""ClusterEvents on the local runner, both state placements: cluster assignment and the merge notice."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.model import EnrichedDispatch
from pipeline.transforms.cluster import MERGES, ClusterEvents
from tests.support import Clock
from tests.unit.cluster.records import BODY_A, BODY_AB, BODY_B, DEATHS, NOTICE, TRADE, record


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "keyed"])
def test_records_of_one_event_share_a_cluster_and_a_linking_record_reports_the_merge(
    in_process: bool,
) -> None:
    items = [
        record("a", BODY_A),
        record("b", BODY_B),
        record("a-rev", BODY_A + " Rescue teams evacuated villages.", story="a"),  # a revision of story a
        record("c", BODY_AB),  # links both events
    ]
    with TestPipeline(runner="FnApiRunner") as p:
        out = (
            p
            | beam.Create(items, reshuffle=False)
            | ClusterEvents(horizon_s=3600, clock=Clock(), in_process=in_process, run=f"t-{in_process}")
        )
        assert_that(
            out["main"] | "Clusters" >> beam.Map(lambda e: (e.dispatch.id, e.cluster_id)),
            clusters_as_expected(),
            label="Clusters",
        )
        assert_that(
            out[MERGES]
            | "Merges" >> beam.Map(lambda n: (n.reason, n.duplicate_of, n.story_id != n.cluster_id)),
            equal_to([("cluster_merge", "c", True)]),
            label="MergeNotice",
        )


def clusters_as_expected():
    def check(actual):
        got = dict(actual)
        assert set(got) == {"a", "b", "a-rev", "c"}, got
        assert got["a"] == got["a-rev"] == "a" and got["b"] == "b", got
        assert got["c"] in ("a", "b"), got

    return check


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "keyed"])
def test_one_outlets_consent_notice_does_not_join_its_stories(in_process: bool) -> None:
    """Two stories of one outlet whose pages carry its consent notice stay apart in both placements: the keyed path's
    signatures (pickled into state) keep the key sequence that shows the notice as template (template.py)."""

    def page(item: str, story: str) -> EnrichedDispatch:
        e = record(item, f"{story} {NOTICE}")
        return EnrichedDispatch(e.dispatch.replace(outlet="Sputnik (example)"), e.enrichment)

    with TestPipeline(runner="FnApiRunner") as p:
        out = (
            p
            | beam.Create([page("trade", TRADE), page("deaths", DEATHS)], reshuffle=False)
            | ClusterEvents(horizon_s=3600, clock=Clock(), in_process=in_process, run=f"n-{in_process}")
        )
        assert_that(
            out["main"] | beam.Map(lambda e: (e.dispatch.id, e.cluster_id)),
            equal_to([("trade", "trade"), ("deaths", "deaths")]),
        )
