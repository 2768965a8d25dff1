"""Near-duplicates in Beam without a GroupByKey: fan out to LSH buckets, then gather one decision per item.

In: story-versioned ``Dispatch`` (after the exact stages).  Out: emitted dispatches (main; revisions re-versioned)
and ``DuplicateNotice``s (``duplicates``).  Three steps, all plain or stateful ParDos:

1. ``FanOutBands``: one ``(bucket, (Probe, Dispatch, n_bands))`` per LSH band; texts too short to sketch get a
   single private ``solo:`` bucket that stores nothing.
2. ``ProbeBucketFn`` keyed by bucket: best verified candidate of that bucket -> ``(item, answer + the item)``,
   and registers the item (as itself, its new version or the version it duplicates) with the same pure decision.
3. ``GatherDecideFn`` keyed by item: waits for one answer per band, takes the best candidate
   (``decide_near``) and clears its state.  Buckets never wait on each other, so registration happens per bucket
   before the overall decision is known; see docs/dedup.md for what that trades.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec

from pipeline.beam import statecache
from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.near import (
    Probe,
    best_of,
    decide_near,
    entry_for,
    near_sketch,
    probe,
    register,
)
from pipeline.transforms.dedup.stateful import DUPLICATES, Clock

SOLO = "solo:"  # bucket prefix for texts too short to sketch: one private bucket, nothing stored


class FanOutBandsFn(beam.DoFn):
    """Dispatch -> one ``(bucket, (Probe, Dispatch, n_bands))`` per band; unsketchable texts get one solo bucket."""

    def process(self, d: Dispatch) -> Iterator[Any]:
        # near_sketch shingles without a language (both stopword lists), so restore (which only has the detected
        # language, not the feed's hint) shingles an item exactly as this live path did.
        sketch = near_sketch(d.body)
        sh, fp = sketch.shingles, sketch.fingerprint
        if fp is None:  # too short to sketch: left to the exact stages, passes through one private bucket
            yield f"{SOLO}{d.id}", (None, d, 1)
            return
        p = Probe.of(d, sh, fp)
        for band in fp.bands:
            yield band, (p, d, len(fp.bands))


class ProbeBucketFn(beam.DoFn):
    """One LSH bucket: answer the probe with its best verified candidate, then register the item."""

    BUCKET = ReadModifyWriteStateSpec("bucket", PickleCoder())

    def __init__(self, horizon_s: int, clock: Clock = time.time, restore: Any = None):
        self.horizon_ms = horizon_s * 1000
        self.clock = clock
        self.restore = restore
        self.seed: dict[str, tuple] = {}

    def setup(self) -> None:
        statecache.apply()
        if self.restore is not None:
            from pipeline.transforms.dedup import restore

            self.seed = restore.shared(self.restore, self.horizon_ms // 1000, self.clock()).buckets

    def process(
        self, element: tuple[str, tuple], bucket: beam.DoFn.StateParam = beam.DoFn.StateParam(BUCKET)
    ) -> Iterator[tuple[str, tuple]]:
        band, (p, d, n_bands) = element
        if p is None:
            yield f"{SOLO}{d.id}", (None, d, None, 1)
            return
        now_ms = int(self.clock() * 1000)
        entries = bucket.read()
        if entries is None:
            entries = self.seed.get(band, ())
        best = probe(entries, p.shingles, now_ms, self.horizon_ms, exclude=p.item)
        bucket.write(register(entries, entry_for(p, best, now_ms), now_ms, self.horizon_ms))
        yield p.item, (best, d, p, n_bands)


class GatherDecideFn(beam.DoFn):
    """Per item: collect one answer per band (each carries the item), then make the single near-dup decision."""

    ANSWERS = BagStateSpec("answers", PickleCoder())

    def __init__(self, clock: Clock = time.time):
        self.clock = clock
        self.near = Metrics.counter("dedup", "near_duplicates")
        self.revisions = Metrics.counter("dedup", "near_revisions")

    def setup(self) -> None:
        statecache.apply()

    def process(
        self,
        element: tuple[str, tuple],
        answers: beam.DoFn.StateParam = beam.DoFn.StateParam(ANSWERS),
    ) -> Iterator[Any]:
        _, (best, d, p, n_bands) = element
        if p is None:  # unsketchable text: nothing to decide
            yield d
            return
        answers.add(best)
        got = list(answers.read())
        if len(got) < n_bands:
            return
        answers.clear()
        out = decide_near(d, p, best_of(got), int(self.clock() * 1000))
        if isinstance(out, DuplicateNotice):
            self.near.inc()
            yield beam.pvalue.TaggedOutput(DUPLICATES, out)
        else:
            if out.story_id != d.story_id:
                self.revisions.inc()
            yield out


class MatchNearDuplicates(beam.PTransform):
    """Dispatch -> main (emitted, maybe re-versioned) + ``duplicates`` (near-duplicate notices)."""

    def __init__(self, horizon_s: int, clock: Clock = time.time, restore: Any = None):
        super().__init__()
        self.horizon_s = horizon_s
        self.clock = clock
        self.restore = restore

    def expand(self, dispatches: beam.PCollection[Dispatch]) -> dict[str, beam.PCollection]:
        # One chain of ParDos and no Flatten: on the local runner a Flatten ends the fused stage, and what follows
        # it would only run when the source finishes (and after the source's offsets were committed).
        decided = (
            dispatches
            | "FanOutBands" >> beam.ParDo(FanOutBandsFn()).with_output_types(tuple[str, tuple])
            | "ProbeBuckets" >> beam.ParDo(ProbeBucketFn(self.horizon_s, self.clock, self.restore))
            | "TypeByItem" >> beam.Map(lambda kv: kv).with_output_types(tuple[str, tuple])
            | "DecideNear" >> beam.ParDo(GatherDecideFn(self.clock)).with_outputs(DUPLICATES, main="main")
        )
        return {"main": decided.main, DUPLICATES: decided[DUPLICATES]}
