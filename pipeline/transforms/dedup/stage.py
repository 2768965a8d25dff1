"""``DeduplicateStories``: Dispatch -> story-versioned Dispatch (main) + DuplicateNotice (``duplicates``).

Keyed stateful steps, no GroupByKey: by identity, then by content hash, then near-duplicates over LSH buckets
(neardup.py).  With a ``RestoreSource`` every step falls back to state rebuilt from the output topic (restore.py).
On the single-process local runner the same decisions run in one process-wide index instead (inprocess.py).
"""

from __future__ import annotations

import time

import apache_beam as beam

from pipeline.model import Dispatch
from pipeline.transforms.dedup.decide import Clock, decide_content, decide_identity
from pipeline.transforms.dedup.inprocess import DUP_CONTENT, DUP_IDENTITY, DUP_NEAR, InProcessDedupFn
from pipeline.transforms.dedup.keys import content_key, identity_key
from pipeline.transforms.dedup.neardup import MatchNearDuplicates
from pipeline.transforms.dedup.restore import RestoreSource
from pipeline.transforms.dedup.stateful import DUPLICATES, KeyedDedupFn, KeyedDedupTtlFn


class DeduplicateStories(beam.PTransform):
    """Suppress exact duplicates and unchanged re-feeds; turn changed re-feeds into new versions of a story."""

    def __init__(
        self,
        horizon_s: int,
        clock: Clock = time.time,
        ttl_timers: bool = False,
        restore: RestoreSource | None = None,
        near: bool = True,
        in_process: bool = False,
        max_items: int | None = None,
        run: str = "",
    ):
        super().__init__()
        self.horizon_s = horizon_s
        self.clock = clock
        self.fn = KeyedDedupTtlFn if ttl_timers else KeyedDedupFn
        self.restore = restore
        self.near = near
        self.in_process = in_process
        self.max_items = max_items
        self.run = run

    def expand(self, dispatches: beam.PCollection[Dispatch]) -> dict[str, beam.PCollection]:
        if self.in_process:
            fn = InProcessDedupFn(
                self.horizon_s, self.clock, self.restore, self.near, self.max_items, self.run
            )
            out = dispatches | "DecideInProcess" >> beam.ParDo(fn).with_outputs(
                DUP_IDENTITY, DUP_CONTENT, DUP_NEAR, main="main"
            )
            dups = (out[DUP_IDENTITY], out[DUP_CONTENT]) + ((out[DUP_NEAR],) if self.near else ())
            return {"main": out.main, DUPLICATES: dups}
        by_identity = (
            dispatches
            | "KeyByIdentity"
            >> beam.Map(lambda d: (identity_key(d), d)).with_output_types(tuple[str, Dispatch])
            | "TrackIdentity"
            >> beam.ParDo(
                self.fn("identity", decide_identity, self.horizon_s, self.clock, self.restore)
            ).with_outputs(DUPLICATES, main="main")
        )
        by_content = (
            by_identity.main
            | "KeyByContent"
            >> beam.Map(lambda d: (content_key(d), d)).with_output_types(tuple[str, Dispatch])
            | "TrackContent"
            >> beam.ParDo(
                self.fn("content", decide_content, self.horizon_s, self.clock, self.restore)
            ).with_outputs(DUPLICATES, main="main")
        )
        main, dups = by_content.main, [by_identity[DUPLICATES], by_content[DUPLICATES]]
        if self.near:
            near = main | "MatchNearDuplicates" >> MatchNearDuplicates(
                self.horizon_s, self.clock, self.restore
            )
            main = near["main"]
            dups.append(near[DUPLICATES])
        # The notices of each step stay separate PCollections: a Flatten would end the fused stage on the local
        # runner (see neardup.py); callers write each one, or flatten them where fusion does not matter (tests).
        return {"main": main, DUPLICATES: tuple(dups)}
