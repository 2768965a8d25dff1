"""In-process dedup over the same pure decisions as the Beam stage, for ``inspect`` and tests.

In: dispatches in order.  Out: the emitted (story-versioned) dispatch or a ``DuplicateNotice``.  State is a plain
dict, bounded by the same horizon; it lives only as long as the object (one command invocation).
"""

from __future__ import annotations

import time

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.keys import content_key, identity_key
from pipeline.transforms.dedup.stateful import Clock, StoryState, decide_content, decide_identity


class LocalDeduplicator:
    def __init__(self, horizon_s: int = 7 * 24 * 3600, clock: Clock = time.time):
        self.horizon_ms = horizon_s * 1000
        self.clock = clock
        self.by_identity: dict[str, StoryState] = {}
        self.by_content: dict[str, StoryState] = {}

    def offer(self, d: Dispatch) -> Dispatch | DuplicateNotice:
        now_ms = int(self.clock() * 1000)
        self._expire(now_ms)
        key = identity_key(d)
        state, out = decide_identity(self.by_identity.get(key), key, d, now_ms)
        self.by_identity[key] = state
        if isinstance(out, DuplicateNotice):
            return out
        ckey = content_key(out)
        state, out = decide_content(self.by_content.get(ckey), ckey, out, now_ms)
        self.by_content[ckey] = state
        return out

    def _expire(self, now_ms: int) -> None:
        for table in (self.by_identity, self.by_content):
            stale = [k for k, s in table.items() if now_ms - s.last_seen_ms >= self.horizon_ms]
            for k in stale:
                del table[k]
