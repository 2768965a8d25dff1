"""In-process dedup over the same pure decisions as the Beam stage, for ``inspect``, tests and the benchmark.

In: dispatches in order.  Out: the emitted (story-versioned) dispatch or a ``DuplicateNotice``.  Exact stages
(identity, then content hash), then near-duplicates over LSH buckets exactly as the Beam stage does it: every
bucket is probed and registers the item on its own, then one decision is taken from the best candidate.  State is
plain dicts bounded by the same horizon and by ``max_items`` tracked stories (the least recently seen go first);
``seed`` preloads it (e.g. from the output topic, see ``restore.py``).  ``begin``/``commit``/``rollback`` make a
group of offers (a Beam bundle) all-or-nothing: a retried bundle is decided against the state before it.
"""

from __future__ import annotations

import time
from collections import ChainMap

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.buckets import BucketTable, band_key, compact, entries
from pipeline.transforms.dedup.keys import content_key, identity_key
from pipeline.transforms.dedup.near import NearEntry, Probe, best_of, decide_near, entry_for, probe, register
from pipeline.transforms.dedup.restore import Snapshot
from pipeline.transforms.dedup.sketch import LEAD, fingerprint
from pipeline.transforms.dedup.stateful import Clock, StoryState, decide_content, decide_identity
from pipeline.transforms.dedup.text import shingle_list


class LocalDeduplicator:
    def __init__(
        self,
        horizon_s: int = 7 * 24 * 3600,
        clock: Clock = time.time,
        near: bool = True,
        max_items: int | None = None,
    ):
        self.horizon_ms = horizon_s * 1000
        self.clock = clock
        self.near = near
        self.max_items = max_items
        self.by_identity: dict[str, StoryState] | ChainMap = {}
        self.by_content: dict[str, StoryState] | ChainMap = {}
        self.buckets: BucketTable | ChainMap = BucketTable()  # LSH band key -> entries, compact (buckets.py)
        self._offers = 0
        self.evicted = 0  # stories forgotten early because of max_items

    # -- all-or-nothing groups of offers ------------------------------------------------------------------------
    def begin(self) -> None:
        """Later offers write to an overlay until ``commit`` (or are dropped by ``rollback``)."""
        if not isinstance(self.by_identity, ChainMap):
            self.by_identity = ChainMap({}, self.by_identity)
            self.by_content = ChainMap({}, self.by_content)
            self.buckets = ChainMap({}, self.buckets)

    def commit(self) -> None:
        for name in ("by_identity", "by_content", "buckets"):
            table = getattr(self, name)
            if isinstance(table, ChainMap):
                table.maps[1].update(table.maps[0])
                setattr(self, name, table.maps[1])
        now_ms = int(self.clock() * 1000)
        if self._offers >= 10_000:
            self._offers = 0
            self._expire(now_ms)
        if self.max_items is not None and len(self.by_identity) > self.max_items:
            self._evict(now_ms)

    def rollback(self) -> None:
        for name in ("by_identity", "by_content", "buckets"):
            table = getattr(self, name)
            if isinstance(table, ChainMap):
                setattr(self, name, table.maps[1])

    def offer(self, d: Dispatch) -> Dispatch | DuplicateNotice:
        now_ms = int(self.clock() * 1000)
        self._offers += 1
        if self._offers >= 10_000 and not isinstance(self.by_identity, ChainMap):
            self._offers = 0  # inside a group the sweep waits for commit()
            self._expire(now_ms)
        key = identity_key(d)
        ident, out = decide_identity(self._live(self.by_identity, key, now_ms), key, d, now_ms)
        self.by_identity[key] = ident
        if isinstance(out, DuplicateNotice):
            return out
        ckey = content_key(out)
        state, out = decide_content(self._live(self.by_content, ckey, now_ms), ckey, out, now_ms)
        self.by_content[ckey] = ident if state == ident else state  # one object when both tables say the same
        if isinstance(out, DuplicateNotice) or not self.near:
            return out
        return self.offer_near(out, now_ms)

    def offer_near(self, d: Dispatch, now_ms: int) -> Dispatch | DuplicateNotice:
        ordered = shingle_list(d.body)  # no language: both stopword lists, as neardup.py and restore.py
        sh = frozenset(ordered)
        fp = fingerprint(sh, tuple(ordered[:LEAD]))
        if fp is None:
            return d
        p = Probe.of(d, sh, fp)
        found = []
        answers: dict[object, NearEntry] = {}  # one entry per distinct answer: memory per item, not per band
        for band in fp.bands:  # as the Beam stage: each bucket probes and registers independently
            bkey = band_key(band)
            bucket = entries(self.buckets.get(bkey, ()))
            best = probe(bucket, sh, now_ms, self.horizon_ms, exclude=p.item)
            key = None if best is None else (best.entry.item, best.similarity, best.coverage)
            entry = answers.get(key)
            if entry is None:
                entry = answers[key] = entry_for(p, best, now_ms)
            self.buckets[bkey] = compact(register(bucket, entry, now_ms, self.horizon_ms))
            found.append(best)
        return decide_near(d, p, best_of(found), now_ms)

    def seed(self, snapshot: Snapshot) -> None:
        """Preload state rebuilt from a durable source (``restore.load``); state of this run wins."""
        for table, seeded in ((self.by_identity, snapshot.identity), (self.by_content, snapshot.content)):
            for k, v in seeded.items():
                table.setdefault(k, v)
        for band, seeded in snapshot.buckets.items():
            self.buckets.setdefault(band_key(band), compact(seeded))

    def _live(self, table: dict[str, StoryState], key: str, now_ms: int) -> StoryState | None:
        s = table.get(key)
        return s if s is not None and now_ms - s.last_seen_ms < self.horizon_ms else None

    def _expire(self, now_ms: int, horizon_ms: int | None = None) -> None:
        """Forget what was last seen ``horizon_ms`` (default: the horizon) or longer ago."""
        horizon_ms = self.horizon_ms if horizon_ms is None else horizon_ms
        for table in (self.by_identity, self.by_content):
            stale = [k for k, s in table.items() if now_ms - s.last_seen_ms >= horizon_ms]
            for k in stale:
                del table[k]
        for bkey in list(self.buckets):
            es = entries(self.buckets.get(bkey, ()))
            kept = tuple(e for e in es if now_ms - e.last_seen_ms < horizon_ms)
            if not kept:
                del self.buckets[bkey]
            elif len(kept) < len(es):
                self.buckets[bkey] = compact(kept)

    def _evict(self, now_ms: int) -> None:
        """Over ``max_items``: forget the least recently seen tenth, as if the horizon were that much shorter."""
        assert self.max_items is not None
        ages = sorted(now_ms - s.last_seen_ms for s in self.by_identity.values())
        keep = max(1, int(self.max_items * 0.9))
        cut = ages[keep - 1] + 1 if keep <= len(ages) else None
        if cut is None:
            return
        before = len(self.by_identity)
        self._expire(now_ms, cut)
        self.evicted += before - len(self.by_identity)
