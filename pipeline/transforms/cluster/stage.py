"""``ClusterEvents``: EnrichedDispatch -> the same record with its event ``cluster_id`` (main) + merge notices.

Placed after enrich (it uses language, entities, countries and the dateline).  On the single-process local runner
one process-wide ``ClusterIndex`` decides every record in arrival order (``InProcessClusterFn``, as dedup's
inprocess.py does); elsewhere keyed blocks decide without a global shuffle (keyed.py).  Both fall back to entries
rebuilt from the output topic after a restart (restore.py).  Merge notices go to the audit (duplicates) topic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.model import EnrichedDispatch
from pipeline.transforms.cluster.index import ClusterIndex
from pipeline.transforms.cluster.keyed import MERGES, ClusterKeyed
from pipeline.transforms.dedup.stateful import Clock

_lock = threading.Lock()
_indexes: dict[str, ClusterIndex] = {}


def shared_index(run: str, make: Any) -> ClusterIndex:
    """One index per pipeline run and process, whatever number of DoFn instances the runner makes."""
    with _lock:
        if run not in _indexes:
            _indexes.clear()  # a new run in the same process (tests): the previous run's index is done
            _indexes[run] = make()
        return _indexes[run]


class InProcessClusterFn(beam.DoFn):
    """Decide each record's cluster in one process-wide index; a bundle's decisions apply at ``finish_bundle``."""

    def __init__(
        self,
        horizon_s: int,
        clock: Clock = time.time,
        restore: Any = None,
        max_items: int | None = None,
        run: str = "",
    ):
        self.horizon_s, self.clock, self.restore, self.max_items, self.run = (
            horizon_s,
            clock,
            restore,
            max_items,
            run,
        )
        self.merges = Metrics.counter("cluster", "merges")
        self.joined = Metrics.counter("cluster", "joined")
        self.indexed = Metrics.gauge("cluster", "indexed_records")
        self.evicted = Metrics.gauge("cluster", "evicted_records")

    def setup(self) -> None:
        # the index (and its restore) at the first bundle, not here: the local runner sets this stage up before
        # dedup's, whose restore then runs while clustering's runs in a helper process (restore.Prefetch)
        self.index: ClusterIndex | None = None

    def _make(self) -> ClusterIndex:
        index = ClusterIndex(self.horizon_s, self.clock, self.max_items)
        if self.restore is not None:
            from pipeline.transforms.cluster import restore

            index.seed(restore.shared(self.restore, self.horizon_s, self.clock()).entries)
        return index

    def start_bundle(self) -> None:
        if self.index is None:
            self.index = shared_index(self.run, self._make)
        self.index.rollback()  # a bundle that failed before finish_bundle left its overlay: drop it
        self.index.begin()

    def process(self, e: EnrichedDispatch) -> Iterator[Any]:
        out, notices = self.index.offer(e)
        if out.cluster_id != e.dispatch.story_id:
            self.joined.inc()
        for notice in notices:
            self.merges.inc()
            yield beam.pvalue.TaggedOutput(MERGES, notice)
        yield out

    def finish_bundle(self) -> None:
        self.index.commit()
        self.indexed.set(len(self.index.items))
        self.evicted.set(self.index.evicted)


class ClusterEvents(beam.PTransform):
    """EnrichedDispatch -> EnrichedDispatch with ``cluster_id`` (main) + ``cluster_merge`` notices (``merges``)."""

    def __init__(
        self,
        horizon_s: int,
        clock: Clock = time.time,
        restore: Any = None,
        in_process: bool = False,
        max_items: int | None = None,
        run: str = "",
        ttl_timers: bool = False,
    ):
        super().__init__()
        self.horizon_s, self.clock, self.restore = horizon_s, clock, restore
        self.in_process, self.max_items, self.run, self.ttl_timers = in_process, max_items, run, ttl_timers

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        if self.in_process:
            fn = InProcessClusterFn(self.horizon_s, self.clock, self.restore, self.max_items, self.run)
            out = records | "DecideInProcess" >> beam.ParDo(fn).with_outputs(MERGES, main="main")
            return {"main": out.main, MERGES: out[MERGES]}
        return records | "DecideKeyed" >> ClusterKeyed(
            self.horizon_s, self.clock, self.restore, self.ttl_timers
        )
