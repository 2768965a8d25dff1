"""Rebuild the cluster index from the output topic, so clusters hold across restarts (local Beam state does not).

In: the output topic (Avro ``news_item``: id, story_id, cluster_id, headline, body, language, published, entities,
countries, dateline, agency), records younger than the horizon.  Out: index ``Entry``s (signature + cluster), which
``ClusterIndex.seed`` and the keyed blocks fall back to.  Records written before clustering existed (no
``cluster_id``) count as clusters of their own story.  Loaded once per worker process and kept read-only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pipeline.transforms.cluster.link import Entry
from pipeline.transforms.cluster.signals import outlet_of, signature
from pipeline.transforms.dedup.restore import RestoreSource, SnapshotCache, restored

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


# one snapshot per worker process, topic and run; a new run in this process: the previous run's snapshot is done
shared = SnapshotCache(load, ClusterSnapshot, one_run=True).get
