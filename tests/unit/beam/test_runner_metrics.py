"""The local runner's per-stage metrics stay one entry per metric however many bundles run (runner_metrics.py).

The FnApiRunner merges each bundle's monitoring infos into the stage's list so far.  Beam's own ``consolidate``
keeps every bundle's gauge, so that list (and the bundle responses it references) grew for the whole run.
"""

from __future__ import annotations

import itertools
from typing import Any

from apache_beam.metrics import monitoring_infos as mi
from apache_beam.metrics.cells import DistributionData, GaugeData

from pipeline.beam.runner_metrics import consolidate

BUNDLES = 200


def bundle_infos(i: int) -> list:
    return [
        mi.int64_user_counter("kafka_read", "records", 7, ptransform="Read"),
        mi.int64_user_gauge("dedup", "tracked", GaugeData(1000 + i, timestamp=1_000 + i), ptransform="Dedup"),
        mi.int64_user_distribution(
            "enrich", "chars", DistributionData(i, 1, i, i), ptransform="Enrich"
        ),  # sum, count, min, max
        mi.user_set_string("lineage", "sources", {"kafka:news.raw"}, ptransform="Read"),
    ]


def run_bundles(merge) -> list:
    """As the FnApiRunner does after each bundle: the stage's infos so far replaced by the merge's result."""
    stage: Any = []
    for i in range(BUNDLES):
        stage = merge(itertools.chain(bundle_infos(i), stage))
    return list(stage)


def test_each_merge_is_done_when_it_returns() -> None:
    """Beam's returns a generator: the runner stored a chain of generators holding every bundle's infos."""
    stage: Any = []
    for i in range(3):
        stage = consolidate(itertools.chain(bundle_infos(i), stage))
        assert isinstance(stage, list) and len(stage) == len(bundle_infos(0))
    assert not isinstance(mi.consolidate(bundle_infos(0)), list)  # what this replaces


def by_name(infos: list, name: str):
    (info,) = [i for i in infos if i.labels["NAME"] == name]
    return info


def test_the_stage_list_does_not_grow_with_bundles() -> None:
    assert len(run_bundles(mi.consolidate)) > BUNDLES  # Beam's: a gauge and a string set per bundle
    assert len(run_bundles(consolidate)) == len(bundle_infos(0))


def test_same_totals_the_latest_gauge_and_the_set() -> None:
    ours = run_bundles(consolidate)
    assert mi.extract_counter_value(by_name(ours, "records")) == 7 * BUNDLES
    assert mi.extract_gauge_value(by_name(ours, "tracked"))[1] == 1000 + BUNDLES - 1
    count, total, low, high = mi.extract_distribution(by_name(ours, "chars"))
    assert (count, total, low, high) == (BUNDLES, sum(range(BUNDLES)), 0, BUNDLES - 1)
    assert mi.extract_string_set_value(by_name(ours, "sources")) == {"kafka:news.raw"}


def test_the_results_are_copies() -> None:
    """Nothing returned is an input message (or part of one): the bundle's response can be freed."""
    infos = bundle_infos(0)
    out = list(consolidate(infos))
    assert out == infos
    assert all(o is not i for o in out for i in infos)
