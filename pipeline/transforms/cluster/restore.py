"""Rebuild the cluster index from the output topic, so clusters hold across restarts (local Beam state does not).

In: the output topic (Avro ``news_item``: id, story_id, cluster_id, headline, body, language, published, entities,
countries, dateline, agency), records younger than the horizon.  Out: index ``Entry``s (signature + cluster), which
``ClusterIndex.seed`` and the keyed blocks fall back to.  Records written before clustering existed (no
``cluster_id``) count as clusters of their own story.  Loaded once per worker process and kept read-only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pipeline.bus.read import listed_size
from pipeline.transforms.cluster.link import Entry
from pipeline.transforms.cluster.signals import outlet_of, signature
from pipeline.transforms.dedup.restore import RestoreSource, SnapshotCache, restored
from pipeline.transforms.enrich.pool import guard_result_pipe, watch_parent

log = logging.getLogger(__name__)
ENTITY_TYPES = ("PERSON", "LOCATION", "ORGANIZATION")


@dataclass
class ClusterSnapshot:
    entries: list[Entry] = field(default_factory=list)
    undecodable: int = 0

    def blocks(self) -> dict[str, tuple[Entry, ...]]:
        """Entries by blocking key (newest last), for the keyed stage."""
        out: dict[str, tuple[Entry, ...]] = {}
        for entry in self.entries:
            for key in entry.sig.blocks:
                out[key] = (*out.get(key, ()), entry)
        return out


def entry_of(item: dict[str, Any], seen_ms: int) -> Entry:
    """A ``news_item`` (as decoded) -> its index entry, signature computed exactly as on the live path."""
    dl, src = item.get("dateline") or {}, item.get("source") or {}
    story_id = item["story_id"]
    sig = signature(
        item["id"],
        story_id,
        item.get("headline") or "",
        item.get("body") or "",
        item.get("language"),
        item.get("published"),
        (e["text"] for e in item.get("entities") or () if e.get("type") in ENTITY_TYPES),
        item.get("countries") or (),
        dl.get("city_normalized") or dl.get("city"),
        item.get("agency"),
        outlet_of(src.get("outlet"), item.get("uri"), src.get("feed_url")),
    )
    return Entry(sig, item.get("cluster_id") or story_id, seen_ms)


def load(source: RestoreSource, horizon_s: int, now_s: float) -> ClusterSnapshot:
    snap = ClusterSnapshot()
    entries, snap.undecodable = restored(source, horizon_s, now_s, entry_of, "cluster")
    snap.entries = [entry for entry, _ in entries]
    snap.entries.sort(key=lambda e: e.seen_ms)
    log.info("cluster: restored %d records from %s", len(snap.entries), source.topic)
    return snap


# Below this many records on the output topic a restore here is quicker than starting a process for it (~0.7 s).
PREFETCH_MIN_RECORDS = 2_000


class Prefetch:
    """The snapshot loading in a spawned process while this one starts and restores dedup's state (the local runner
    sets the cluster stage up first, but seeds its index only at its first bundle: stage.py): the two restores of a
    restart side by side on two cores.  Started only for an output topic of ``PREFETCH_MIN_RECORDS`` or more
    (checked in a thread: the caller does not wait for the broker); ``take`` gives the snapshot, or None when the
    caller should load it itself (small topic, check not finished, helper failed)."""

    def __init__(self, source: RestoreSource, horizon_s: int, now_s: float):
        self._lock = threading.Lock()
        self._future: Future | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._taken = False
        self._thread = threading.Thread(
            target=self._start, args=(source, horizon_s, now_s), name="cluster-restore", daemon=True
        )
        self._thread.start()

    def _start(self, source: RestoreSource, horizon_s: int, now_s: float) -> None:
        try:
            if listed_size(source.kafka, source.topic) < PREFETCH_MIN_RECORDS:
                return
            with self._lock:
                if not self._taken:
                    self._executor = ProcessPoolExecutor(
                        1,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=watch_parent,  # a SIGKILLed pipeline leaves no helper behind
                        initargs=(os.getpid(),),
                    )
                    self._future = self._executor.submit(load, source, horizon_s, now_s)
                    # a helper killed while sending the snapshot: a failed restore here, not a hang
                    guard_result_pipe(self._executor)
        except Exception as exc:  # the caller loads it itself
            log.info("cluster: restore not started in a helper process (%s)", exc)

    def take(self, wait_s: float = 1.0) -> ClusterSnapshot | None:
        self._thread.join(wait_s)
        with self._lock:
            self._taken = True
            future, executor = self._future, self._executor
        if future is None or executor is None:
            return None
        try:
            snap = future.result()
        except Exception as exc:
            log.warning("cluster: restore in a helper process failed (%s); restoring here", exc)
            return None
        finally:
            executor.shutdown(wait=False)
        log.info("cluster: %d records restored in a helper process", len(snap.entries))
        return snap

    def cancel(self) -> None:
        """A run that never asked (it failed first): no helper is started, a started one is stopped."""
        with self._lock:
            self._taken = True
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)


_PREFETCHES: dict[tuple[str, str, str, int], Prefetch] = {}


def _key(source: RestoreSource, horizon_s: int) -> tuple[str, str, str, int]:
    return (source.kafka.bootstrap_servers, source.topic, source.run, horizon_s)


def prefetch(source: RestoreSource, horizon_s: int, now_s: float) -> None:
    """Start this run's snapshot in a helper process (``Prefetch``); ``shared`` takes it from there.  For the
    single-process local runner with a core to spare; records older than ``now_s`` minus the horizon are left out,
    as ``load`` does (``now_s`` a few seconds before the stage would ask)."""
    # one run at a time per process, as ``shared`` keeps one run's snapshot
    for stale in _PREFETCHES.values():
        stale.cancel()
    _PREFETCHES.clear()
    _PREFETCHES[_key(source, horizon_s)] = Prefetch(source, horizon_s, now_s)


def _prefetched_or_load(source: RestoreSource, horizon_s: int, now_s: float) -> ClusterSnapshot:
    pending = _PREFETCHES.pop(_key(source, horizon_s), None)
    snap = pending.take() if pending is not None else None
    return snap if snap is not None else load(source, horizon_s, now_s)


# one snapshot per worker process, topic and run; a new run in this process: the previous run's snapshot is done
shared = SnapshotCache(_prefetched_or_load, ClusterSnapshot, one_run=True).get
