"""Dedup for the local runner: every decision in one process-wide ``LocalDeduplicator``, one bundle at a time.

In: normalized ``Dispatch``es.  Out: emitted dispatches (main) and ``DuplicateNotice``s on three tagged outputs
(identity, content, near), exactly the decisions of the keyed stages (same pure functions, see local.py).

Why not keyed state here: the portable local runner runs one SDK worker, so a process-wide index sees every
item, decides them in arrival order (a story's versions are numbered one after another, never twice alike), costs
what the decisions cost instead of ~20 keyed state reads and writes per item, and is bounded by the horizon and
``max_items`` (Beam's local state store keeps every key it ever saw).  A bundle's decisions are applied at
``finish_bundle`` and dropped if it fails, so a retried bundle is decided against the state before it.  Restarts
seed the index from the output topic (restore.py).  Runners with several workers (Dataflow) use the keyed stages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.decide import Clock
from pipeline.transforms.dedup.local import LocalDeduplicator

DUP_IDENTITY, DUP_CONTENT, DUP_NEAR = "dup_identity", "dup_content", "dup_near"
_OUTPUT_OF = {"unchanged_refeed": DUP_IDENTITY, "content_hash": DUP_CONTENT, "near_duplicate": DUP_NEAR}

_lock = threading.Lock()
_indexes: dict[str, LocalDeduplicator] = {}


def shared_index(run: str, make: Any) -> LocalDeduplicator:
    """One index per pipeline run and process, whatever number of DoFn instances the runner makes."""
    with _lock:
        if run not in _indexes:
            _indexes.clear()  # a new run in the same process (tests): the previous run's index is done
            _indexes[run] = make()
        return _indexes[run]


class InProcessDedupFn(beam.DoFn):
    def __init__(
        self,
        horizon_s: int,
        clock: Clock = time.time,
        restore: Any = None,
        near: bool = True,
        max_items: int | None = None,
        run: str = "",
    ):
        self.horizon_s, self.clock, self.restore, self.near = horizon_s, clock, restore, near
        self.max_items, self.run = max_items, run
        self.emitted = Metrics.counter("dedup", "emitted")
        self.suppressed = Metrics.counter("dedup", "suppressed")
        self.tracked = Metrics.gauge("dedup", "tracked_stories")
        self.evicted = Metrics.gauge("dedup", "evicted_stories")

    def setup(self) -> None:
        self.index = shared_index(self.run, self._make)

    def _make(self) -> LocalDeduplicator:
        index = LocalDeduplicator(self.horizon_s, self.clock, near=self.near, max_items=self.max_items)
        if self.restore is not None:
            from pipeline.transforms.dedup import restore

            index.seed(restore.shared(self.restore, self.horizon_s, self.clock()))
        return index

    def start_bundle(self) -> None:
        self.index.rollback()  # a bundle that failed before finish_bundle left its overlay: drop it
        self.index.begin()

    def process(self, d: Dispatch) -> Iterator[Any]:
        out = self.index.offer(d)
        if isinstance(out, DuplicateNotice):
            self.suppressed.inc()
            yield beam.pvalue.TaggedOutput(_OUTPUT_OF.get(out.reason, DUP_NEAR), out)
        else:
            self.emitted.inc()
            yield out

    def finish_bundle(self) -> None:
        self.index.commit()
        self.tracked.set(len(self.index.by_identity))
        self.evicted.set(self.index.evicted)
