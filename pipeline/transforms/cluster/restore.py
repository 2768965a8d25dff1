"""Rebuild the cluster index from the output topic, so clusters hold across restarts (local Beam state does not).

In: the output topic (Avro ``news_item``: id, story_id, cluster_id, headline, body, language, published, entities,
countries, dateline, agency), records younger than the horizon.  Out: index ``Entry``s (signature + cluster), which
``ClusterIndex.seed`` and the keyed blocks fall back to.  Records written before clustering existed (no
``cluster_id``) count as clusters of their own story.  Loaded once per worker process and kept read-only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from pipeline.avro.codec import AvroDecodeError
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import WireDecoder
from pipeline.bus.read import read_to_end
from pipeline.transforms.cluster.link import Entry
from pipeline.transforms.cluster.signals import outlet_of, signature
from pipeline.transforms.dedup.restore import RestoreSource

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
    cutoff_ms = int((now_s - horizon_s) * 1000)
    decoder = WireDecoder(registry_from_url(source.registry_url) if source.registry_url else None)
    for rec in read_to_end(source.kafka, source.topic, wait_partitions_s=2.0, missing_ok=True):
        if rec.value is None or rec.timestamp < cutoff_ms:
            continue
        try:
            _, item = decoder.decode_json(rec.value)
            snap.entries.append(entry_of(item, rec.timestamp))
        except (AvroDecodeError, KeyError, TypeError) as exc:
            snap.undecodable += 1
            log.warning("cluster restore: skipped %s/%d/%d: %s", rec.topic, rec.partition, rec.offset, exc)
    snap.entries.sort(key=lambda e: e.seen_ms)
    log.info("cluster: restored %d records from %s", len(snap.entries), source.topic)
    return snap


_lock = threading.Lock()
_cache: dict[tuple[str, str, str, int], ClusterSnapshot] = {}


def shared(source: RestoreSource | None, horizon_s: int, now_s: float) -> ClusterSnapshot:
    """One snapshot per worker process, topic and run (every DoFn instance reads the same one)."""
    if source is None:
        return ClusterSnapshot()
    key = (source.kafka.bootstrap_servers, source.topic, source.run, horizon_s)
    with _lock:
        if key not in _cache:
            _cache.clear()  # a new run in this process: the previous run's snapshot is done
            _cache[key] = load(source, horizon_s, now_s)
        return _cache[key]
