"""Clusters as keyed Beam state for runners with several workers (Dataflow): blocks, not a global shuffle.

In: ``EnrichedDispatch``.  Out: the record with ``cluster_id`` (main) and ``cluster_merge`` notices (``merges``).
Three steps, as the near-duplicate stage does it (dedup/neardup.py):

1. ``FanOutBlocksFn``: one ``(block, (Signature, record, n_blocks))`` per blocking key of the record.
2. ``ProbeBlockFn`` keyed by block: links to the block's live entries (``link.best_links``), registers the record
   there under the cluster its own links give (provisional: the overall decision is not known yet), answers
   ``(item, (links, record, n_blocks))``.  State: up to ``BLOCK_CAP`` newest entries, horizon-bounded, a guarded
   TTL timer where timers are real.
3. ``GatherClusterFn`` keyed by item: waits for one answer per block, decides from all links, clears its state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec, TimerSpec, on_timer

from pipeline.beam import statecache
from pipeline.model import EnrichedDispatch
from pipeline.transforms.cluster.index import merge_notices, register
from pipeline.transforms.cluster.link import DECIDED, Entry, Link, best_links, decide
from pipeline.transforms.cluster.signals import of_enriched
from pipeline.transforms.dedup.stateful import Clock

MERGES = "merges"


class FanOutBlocksFn(beam.DoFn):
    """EnrichedDispatch -> one ``(block, (Signature, record, n_blocks))`` per blocking key."""

    def process(self, e: EnrichedDispatch) -> Iterator[tuple[str, tuple]]:
        sig = of_enriched(e)
        for key in sig.blocks:
            yield key, (sig, e, len(sig.blocks))


class ProbeBlockFn(beam.DoFn):
    """One block: link the record to the block's entries, register it, answer with its links."""

    BLOCK = ReadModifyWriteStateSpec("block", PickleCoder())

    def __init__(self, horizon_s: int, clock: Clock = time.time, restore: Any = None):
        self.horizon_ms, self.clock, self.restore = horizon_s * 1000, clock, restore
        self.seed: dict[str, tuple[Entry, ...]] = {}

    def setup(self) -> None:
        statecache.apply()
        if self.restore is not None:
            from pipeline.transforms.cluster import restore

            self.seed = restore.shared(self.restore, self.horizon_ms // 1000, self.clock()).blocks()

    def _probe(self, element: tuple[str, tuple], block: Any) -> tuple[int, tuple[str, tuple]]:
        key, (sig, e, n) = element
        now_ms = int(self.clock() * 1000)
        entries = block.read()
        if entries is None:
            entries = self.seed.get(key, ())
        live = [x for x in entries if now_ms - x.seen_ms < self.horizon_ms]
        prior = next(
            (x for x in reversed(live) if x.sig.item == sig.item), None
        )  # this record, decided before
        links = [Link(DECIDED, prior)] if prior is not None else best_links(sig, live)
        block.write(
            register(tuple(live), Entry(sig, decide(sig, links).cluster_id, now_ms), now_ms, self.horizon_ms)
        )
        return now_ms, (sig.item, (tuple(links), sig, e, n))

    def process(
        self, element: tuple[str, tuple], block: beam.DoFn.StateParam = beam.DoFn.StateParam(BLOCK)
    ) -> Iterator[tuple[str, tuple]]:
        yield self._probe(element, block)[1]


class ProbeBlockTtlFn(ProbeBlockFn):
    """``ProbeBlockFn`` plus a guarded TTL timer (runners with real timers): the block is cleared a horizon after
    its newest entry, re-checked against the injected clock (local runners fire timers early)."""

    EXPIRY = TimerSpec("expiry", TimeDomain.REAL_TIME)

    def process(
        self,
        element: tuple[str, tuple],
        block: beam.DoFn.StateParam = beam.DoFn.StateParam(ProbeBlockFn.BLOCK),
        expiry: beam.DoFn.TimerParam = beam.DoFn.TimerParam(EXPIRY),
    ) -> Iterator[tuple[str, tuple]]:
        now_ms, out = self._probe(element, block)
        expiry.set((now_ms + self.horizon_ms) / 1000.0)
        yield out

    @on_timer(EXPIRY)
    def expire(
        self,
        block: beam.DoFn.StateParam = beam.DoFn.StateParam(ProbeBlockFn.BLOCK),
        expiry: beam.DoFn.TimerParam = beam.DoFn.TimerParam(EXPIRY),
    ) -> None:
        entries = block.read()
        if not entries:
            return
        newest = max(x.seen_ms for x in entries)
        if int(self.clock() * 1000) - newest >= self.horizon_ms:
            block.clear()
        else:
            expiry.set((newest + self.horizon_ms) / 1000.0)


class GatherClusterFn(beam.DoFn):
    """Per record: collect one answer per block, then decide its cluster and report the clusters it merges."""

    ANSWERS = BagStateSpec("answers", PickleCoder())

    def __init__(self, clock: Clock = time.time):
        self.clock = clock
        self.merges = Metrics.counter("cluster", "merges")
        self.joined = Metrics.counter("cluster", "joined")

    def setup(self) -> None:
        statecache.apply()

    def process(
        self, element: tuple[str, tuple], answers: beam.DoFn.StateParam = beam.DoFn.StateParam(ANSWERS)
    ) -> Iterator[Any]:
        _, (links, sig, e, n) = element
        answers.add(links)
        got = list(answers.read())
        if len(got) < n:
            return
        answers.clear()
        best: dict[str, Link] = {}
        for link in (x for ls in got for x in ls):
            prev = best.get(link.entry.cluster_id)
            if prev is None or link.score > prev.score:
                best[link.entry.cluster_id] = link
        ordered = sorted(best.values(), key=lambda x: (-x.score, x.entry.seen_ms, x.entry.cluster_id))
        decision = decide(sig, ordered)
        if decision.score > 0:
            self.joined.inc()
        for notice in merge_notices(e, decision, int(self.clock() * 1000)):
            self.merges.inc()
            yield beam.pvalue.TaggedOutput(MERGES, notice)
        yield e.with_cluster(decision.cluster_id)


class ClusterKeyed(beam.PTransform):
    def __init__(
        self, horizon_s: int, clock: Clock = time.time, restore: Any = None, ttl_timers: bool = False
    ):
        super().__init__()
        self.horizon_s, self.clock, self.restore, self.ttl_timers = horizon_s, clock, restore, ttl_timers

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        probe = (ProbeBlockTtlFn if self.ttl_timers else ProbeBlockFn)(
            self.horizon_s, self.clock, self.restore
        )
        decided = (
            records
            | "FanOutBlocks" >> beam.ParDo(FanOutBlocksFn()).with_output_types(tuple[str, tuple])
            | "ProbeBlocks" >> beam.ParDo(probe)
            | "TypeByItem" >> beam.Map(lambda kv: kv).with_output_types(tuple[str, tuple])
            | "DecideCluster" >> beam.ParDo(GatherClusterFn(self.clock)).with_outputs(MERGES, main="main")
        )
        return {"main": decided.main, MERGES: decided[MERGES]}
