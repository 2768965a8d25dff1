"""Exact dedup and revisions as keyed Beam state, bounded in time.

In: ``(key, Dispatch)``.  Out: the dispatch with ``story_id``/``version``/``supersedes`` set (main output) or a
``DuplicateNotice`` (``duplicates`` output).  The decisions are pure functions (decide.py) over a small stored
``StoryState``; the DoFns only load/store state and keep it bounded with a guarded TTL timer (local runners fire
timers early, so the timer re-checks the stored last-seen time against the injected clock before clearing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import (
    ReadModifyWriteStateSpec,
    TimerSpec,
    on_timer,
)

from pipeline.beam import statecache
from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.decide import Clock, Decide
from pipeline.transforms.dedup.story import StoryState

DUPLICATES = "duplicates"


class KeyedDedupFn(beam.DoFn):
    """Load the key's ``StoryState``, apply a pure ``decide`` function, store the result.

    State older than the horizon is treated as absent when read (lazy expiry), so decisions are bounded in time on
    every runner.  Memory for keys never seen again is reclaimed by the TTL timer of ``KeyedDedupTtlFn``.
    """

    STATE = ReadModifyWriteStateSpec("story", PickleCoder())

    def __init__(
        self, stage: str, decide: Decide, horizon_s: int, clock: Clock = time.time, restore: Any = None
    ):
        self.stage = stage
        self.restore = restore  # restore.RestoreSource | None: where to rebuild state lost with a restart
        self.seed: dict[str, StoryState] = {}
        self.decide = decide
        self.horizon_ms = horizon_s * 1000
        self.clock = clock
        self.emitted = Metrics.counter("dedup", f"{stage}_emitted")
        self.suppressed = Metrics.counter("dedup", f"{stage}_suppressed")
        self.expired = Metrics.counter("dedup", f"{stage}_expired")  # states cleared by the TTL timer

    def setup(self) -> None:
        statecache.apply()
        if self.restore is not None:
            from pipeline.transforms.dedup import restore

            snap = restore.shared(self.restore, self.horizon_ms // 1000, self.clock())
            self.seed = snap.identity if self.stage == "identity" else snap.content

    def _step(self, element: tuple[str, Dispatch], state: Any) -> tuple[int, Iterator[object]]:
        key, d = element
        now_ms = int(self.clock() * 1000)
        prev = state.read()
        if prev is None:
            prev = self.seed.get(key)
        if prev is not None and now_ms - prev.last_seen_ms >= self.horizon_ms:
            prev = None
        new_state, out = self.decide(prev, key, d, now_ms)
        state.write(new_state)
        if isinstance(out, DuplicateNotice):
            self.suppressed.inc()
            return now_ms, iter([beam.pvalue.TaggedOutput(DUPLICATES, out)])
        self.emitted.inc()
        return now_ms, iter([out])

    def process(
        self,
        element: tuple[str, Dispatch],
        state: beam.DoFn.StateParam = beam.DoFn.StateParam(STATE),
    ) -> Iterator[object]:
        _, outputs = self._step(element, state)
        yield from outputs


class KeyedDedupTtlFn(KeyedDedupFn):
    """``KeyedDedupFn`` plus a guarded TTL timer that clears state a horizon after the key was last seen.

    For runners with real timers (Dataflow).  The local FnApiRunner fires processing-time timers early and then
    never lets a bounded pipeline finish while a re-armed timer is pending, so local runs use lazy expiry only.
    The timer re-checks the stored last-seen time against the injected clock before clearing anything.
    """

    EXPIRY = TimerSpec("expiry", TimeDomain.REAL_TIME)

    def process(
        self,
        element: tuple[str, Dispatch],
        state: beam.DoFn.StateParam = beam.DoFn.StateParam(KeyedDedupFn.STATE),
        expiry: beam.DoFn.TimerParam = beam.DoFn.TimerParam(EXPIRY),
    ) -> Iterator[object]:
        now_ms, outputs = self._step(element, state)
        expiry.set((now_ms + self.horizon_ms) / 1000.0)
        yield from outputs

    @on_timer(EXPIRY)
    def expire(
        self,
        state: beam.DoFn.StateParam = beam.DoFn.StateParam(KeyedDedupFn.STATE),
        expiry: beam.DoFn.TimerParam = beam.DoFn.TimerParam(EXPIRY),
    ) -> None:
        stored = state.read()
        if stored is None:
            return
        if int(self.clock() * 1000) - stored.last_seen_ms >= self.horizon_ms:
            state.clear()
            self.expired.inc()
        else:  # fired early, or the key was seen again: keep it until its horizon
            expiry.set((stored.last_seen_ms + self.horizon_ms) / 1000.0)
