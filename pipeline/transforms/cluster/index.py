"""The in-process cluster index: every record decided in arrival order against one process-wide table of blocks.

In: enriched records (``EnrichedDispatch``).  Out: the record with its ``cluster_id`` and, when it linked more than
one cluster, one ``cluster_merge`` ``DuplicateNotice`` per other cluster.  Blocks map a blocking key (a name, a
strong word, the story, the dateline city: ``signals.Signature.blocks``) to the newest ``BLOCK_CAP`` entries;
candidates are the union of the record's blocks, scored with ``link.score``.  Bounded by the horizon and by
``max_items`` indexed records (over the cap the least recently seen tenth goes first).  ``begin``/``commit``/
``rollback`` make a bundle all-or-nothing, as in dedup's ``LocalDeduplicator``; ``seed`` preloads entries rebuilt
from the output topic (restore.py).
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Iterable

from pipeline.model import DuplicateNotice, EnrichedDispatch
from pipeline.transforms.cluster import signals
from pipeline.transforms.cluster.link import DECIDED, Decision, Entry, Link, best_links, decide
from pipeline.transforms.cluster.signals import Signature, of_enriched
from pipeline.transforms.dedup.buckets import OverlaidTables
from pipeline.transforms.dedup.decide import Clock

BLOCK_CAP = 5  # newest entries kept per blocking key
MERGE = "cluster_merge"
MAX_MERGES = 3  # notices per record: a record linking more clusters than this is chaining, not news


def merge_notices(e: EnrichedDispatch, decision: Decision, now_ms: int) -> list[DuplicateNotice]:
    """One audit notice per other cluster the record linked: ``story_id`` = that cluster (its first story),
    ``duplicate_of`` = the linking record, ``cluster_id`` = the cluster it joined."""
    return [
        DuplicateNotice(
            link.entry.cluster_id,
            e.dispatch.id,
            MERGE,
            min(link.score, 1.0),
            e.dispatch,
            now_ms,
            cluster_id=decision.cluster_id,
        )
        for link in decision.merged[:MAX_MERGES]
    ]


def register(block: tuple[Entry, ...], entry: Entry, now_ms: int, horizon_ms: int) -> tuple[Entry, ...]:
    """The block with ``entry`` added (replacing an older entry of the same item), live and capped, newest last."""
    if not block:  # most keys are new (a rare name, a story): nothing to filter
        return (entry,)
    kept = [x for x in block if x.sig.item != entry.sig.item and now_ms - x.seen_ms < horizon_ms]
    return (*kept[-(BLOCK_CAP - 1) :], entry)


def _layers(table: dict | ChainMap) -> tuple[dict, dict]:
    """(where writes go, what is read under them): a bundle's ``Overlay`` and its table, else the table twice."""
    return (table.maps[0], table.maps[1]) if isinstance(table, ChainMap) else (table, table)


class ClusterIndex(OverlaidTables):
    TABLES = ("blocks", "items")  # begin/commit/rollback (a Beam bundle) and the bounds: OverlaidTables
    SIZE = "items"

    def __init__(
        self, horizon_s: int = 7 * 24 * 3600, clock: Clock = time.time, max_items: int | None = None
    ):
        self.horizon_ms = horizon_s * 1000
        self.clock = clock
        self.max_items = max_items
        self.blocks: dict[str, tuple[Entry, ...]] | ChainMap = {}
        self.items: dict[str, Entry] | ChainMap = {}
        self.evicted = 0
        self._offers = 0

    # -- decisions ---------------------------------------------------------------------------------------------
    def offer(self, e: EnrichedDispatch) -> tuple[EnrichedDispatch, list[DuplicateNotice]]:
        now_ms = int(self.clock() * 1000)
        self._offers += 1
        decision = self.place(of_enriched(e), now_ms)
        return e.with_cluster(decision.cluster_id), merge_notices(e, decision, now_ms)

    def place(self, sig: Signature, now_ms: int) -> Decision:
        """Decide ``sig``'s cluster and index it there (``offer`` without the record around it)."""
        decision = self.decide(sig, now_ms)
        self.add(Entry(sig, decision.cluster_id, now_ms), now_ms)
        return decision

    def decide(self, sig: Signature, now_ms: int) -> Decision:
        # decided before (a replay after a crash, restored from the output): the keyed path's rule, link.DECIDED
        done = self.items.get(sig.item)
        if done is not None:
            return decide(sig, [Link(DECIDED, done)])
        native = signals.NATIVE
        if native is not None:  # the loop below, compiled (_native.pyx)
            seen = native.gather(*_layers(self.blocks), sig.blocks, now_ms, self.horizon_ms)
        else:
            seen = {}
            for key in sig.blocks:
                for entry in self.blocks.get(key, ()):
                    if now_ms - entry.seen_ms < self.horizon_ms:
                        seen[entry.sig.item] = entry
        return decide(sig, best_links(sig, seen.values()))

    def add(self, entry: Entry, now_ms: int) -> None:
        self.items[entry.sig.item] = entry
        native = signals.NATIVE
        if native is not None:  # the loop below, compiled (_native.pyx)
            native.add_to_blocks(*_layers(self.blocks), entry, now_ms, self.horizon_ms, BLOCK_CAP)
            return
        for key in entry.sig.blocks:
            self.blocks[key] = register(self.blocks.get(key, ()), entry, now_ms, self.horizon_ms)

    def seed(self, entries: Iterable[Entry]) -> None:
        """Preload entries rebuilt from a durable source; entries of this run win."""
        for entry in entries:
            if entry.sig.item in self.items:
                continue
            self.items[entry.sig.item] = entry
            for key in entry.sig.blocks:
                self.blocks[key] = (*self.blocks.get(key, ())[-(BLOCK_CAP - 1) :], entry)

    # -- bounds ------------------------------------------------------------------------------------------------
    def _expire(self, now_ms: int, horizon_ms: int | None = None) -> None:
        horizon_ms = self.horizon_ms if horizon_ms is None else horizon_ms
        for item in [k for k, x in self.items.items() if now_ms - x.seen_ms >= horizon_ms]:
            del self.items[item]
        for key, entries in list(self.blocks.items()):
            kept = tuple(x for x in entries if now_ms - x.seen_ms < horizon_ms and x.sig.item in self.items)
            if not kept:
                del self.blocks[key]
            elif len(kept) < len(entries):
                self.blocks[key] = kept

    def _evict(self, now_ms: int) -> None:
        assert self.max_items is not None
        ages = sorted(now_ms - x.seen_ms for x in self.items.values())
        keep = max(1, int(self.max_items * 0.9))
        if keep > len(ages):
            return
        before = len(self.items)
        self._expire(now_ms, ages[keep - 1] + 1)
        self.evicted += before - len(self.items)
