"""``DeduplicateStories``: Dispatch -> story-versioned Dispatch (main) + DuplicateNotice (``duplicates``).

Two keyed stateful steps, no GroupByKey (the streaming path stays fused): by identity, then by content hash.
"""

from __future__ import annotations

import time

import apache_beam as beam

from pipeline.model import Dispatch
from pipeline.transforms.dedup.keys import content_key, identity_key
from pipeline.transforms.dedup.stateful import (
    DUPLICATES,
    Clock,
    KeyedDedupFn,
    KeyedDedupTtlFn,
    decide_content,
    decide_identity,
)


class DeduplicateStories(beam.PTransform):
    """Suppress exact duplicates and unchanged re-feeds; turn changed re-feeds into new versions of a story."""

    def __init__(self, horizon_s: int, clock: Clock = time.time, ttl_timers: bool = False):
        super().__init__()
        self.horizon_s = horizon_s
        self.clock = clock
        self.fn = KeyedDedupTtlFn if ttl_timers else KeyedDedupFn

    def expand(self, dispatches: beam.PCollection[Dispatch]) -> dict[str, beam.PCollection]:
        by_identity = (
            dispatches
            | "KeyByIdentity"
            >> beam.Map(lambda d: (identity_key(d), d)).with_output_types(tuple[str, Dispatch])
            | "TrackIdentity"
            >> beam.ParDo(self.fn("identity", decide_identity, self.horizon_s, self.clock)).with_outputs(
                DUPLICATES, main="main"
            )
        )
        by_content = (
            by_identity.main
            | "KeyByContent"
            >> beam.Map(lambda d: (content_key(d), d)).with_output_types(tuple[str, Dispatch])
            | "TrackContent"
            >> beam.ParDo(self.fn("content", decide_content, self.horizon_s, self.clock)).with_outputs(
                DUPLICATES, main="main"
            )
        )
        duplicates = (
            by_identity[DUPLICATES],
            by_content[DUPLICATES],
        ) | "MergeDuplicates" >> beam.Flatten()
        return {
            "main": by_content.main,
            DUPLICATES: duplicates,
        }
