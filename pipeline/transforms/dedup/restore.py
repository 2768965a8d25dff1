"""Rebuild the dedup index from the output topic, so dedup holds across restarts (local Beam state does not).

In: the output topic (Avro ``news_item``, keyed by story_id: uri, guid, feed, headline, body, content_hash,
version ids), records younger than the horizon.  Out: a ``Snapshot``: identity and content ``StoryState`` tables
and LSH bucket entries, which the stateful DoFns (and ``LocalDeduplicator.seed``) fall back to when their own
state for a key is empty.  Loaded once per worker process and kept read-only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from pipeline.avro.codec import AvroDecodeError
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import WireDecoder
from pipeline.bus.read import read_to_end
from pipeline.model import Dispatch
from pipeline.settings import KafkaSettings
from pipeline.transforms.dedup.keys import content_key, identity_key
from pipeline.transforms.dedup.near import NearEntry, Probe, entry_for, near_sketch, paragraphs
from pipeline.transforms.dedup.story import SEEN_CAP, StoryState

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RestoreSource:
    """Where emitted versions can be re-read from (small, picklable config)."""

    kafka: KafkaSettings
    topic: str
    run: str = ""  # one snapshot per pipeline run: a second run in the same process re-reads the topic
    registry_url: str | None = None  # the output's wire format is Confluent's when a registry is configured


@dataclass
class Snapshot:
    identity: dict[str, StoryState] = field(default_factory=dict)
    content: dict[str, StoryState] = field(default_factory=dict)
    buckets: dict[str, tuple[NearEntry, ...]] = field(default_factory=dict)
    records: int = 0
    undecodable: int = 0  # records of the topic that are not news items in either wire format (skipped)

    def add(self, d: Dispatch, seen_ms: int) -> None:
        """Fold one emitted version in (versions may arrive in any order; the highest wins, hashes accumulate)."""
        self.records += 1
        state = StoryState(
            d.story_id, d.version, d.id, d.content_hash, d.headline, paragraphs(d.body), seen_ms
        )
        for table, key in ((self.identity, identity_key(d)), (self.content, content_key(d))):
            prev = table.get(key)
            if prev is not None:
                hi, lo = (state, prev) if state.version >= prev.version else (prev, state)
                seen = tuple(dict.fromkeys((*prev.seen, *state.seen, lo.content_hash)))[-SEEN_CAP:]
                state = replace(hi, seen=seen, last_seen_ms=max(hi.last_seen_ms, lo.last_seen_ms))
            table[key] = state
        sketch = near_sketch(d.body)  # as the live paths (neardup.py, local.py) sketch it
        fp = sketch.fingerprint
        if fp is not None:
            entry = entry_for(Probe.of(d, sketch.shingles, fp), None, seen_ms)
            for band in fp.bands:
                self.buckets[band] = (*self.buckets.get(band, ()), entry)


def dispatch_of(item: dict) -> Dispatch:
    src = item.get("source") or {}
    return Dispatch(
        id=item["id"],
        uri=item.get("uri"),
        guid=item.get("guid"),
        headline=item.get("headline") or "",
        body=item.get("body") or "",
        feed_url=src.get("feed_url") or "",
        outlet=src.get("outlet"),
        content_hash=item.get("content_hash") or "",
        story_id=item["story_id"],
        version=item.get("version") or 1,
        supersedes=item.get("supersedes"),
        # No language_hint: that is the feed's declared language, which the output record does not carry (its
        # ``language`` is the detected one).  Dedup shingles without a language, live and here alike.
    )


def restored(
    source: RestoreSource,
    horizon_s: int,
    now_s: float,
    convert: Callable[[dict[str, Any], int], T],
    what: str,
) -> tuple[list[tuple[T, int]], int]:
    """Every ``news_item`` on the output topic younger than the horizon, read to its end (``read_to_end``'s stop
    rule), decoded and ``convert``ed (item, timestamp): (values with their record timestamps, records skipped
    because they did not decode or convert).  Shared by dedup's and clustering's restore."""
    out: list[tuple[T, int]] = []
    skipped = 0
    cutoff_ms = int((now_s - horizon_s) * 1000)
    decoder = WireDecoder(registry_from_url(source.registry_url) if source.registry_url else None)
    for rec in read_to_end(source.kafka, source.topic, wait_partitions_s=2.0, missing_ok=True):
        if rec.value is None or rec.timestamp < cutoff_ms:
            continue
        try:
            _, item = decoder.decode_json(rec.value)
            out.append((convert(item, rec.timestamp), rec.timestamp))
        except (AvroDecodeError, KeyError, TypeError) as exc:
            skipped += 1
            log.warning("%s restore: skipped %s/%d/%d: %s", what, rec.topic, rec.partition, rec.offset, exc)
    return out, skipped


def load(source: RestoreSource, horizon_s: int, now_s: float) -> Snapshot:
    """Read the output topic to its end (``read_to_end``'s stop rule); records older than the horizon are skipped."""
    snap = Snapshot()
    dispatches, snap.undecodable = restored(
        source, horizon_s, now_s, lambda item, _: dispatch_of(item), "dedup"
    )
    for d, timestamp in dispatches:
        snap.add(d, timestamp)
    log.info("dedup: restored %d emitted versions from %s", snap.records, source.topic)
    return snap


class SnapshotCache(Generic[T]):
    """One snapshot per worker process, topic, run and horizon, loaded by the first DoFn instance that asks (every
    other instance reads the same one); with ``one_run`` a new run's snapshot replaces the previous run's."""

    def __init__(
        self, load: Callable[[RestoreSource, int, float], T], empty: Callable[[], T], one_run: bool = False
    ):
        self._load, self._empty, self._one_run = load, empty, one_run
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str, int], T] = {}

    def get(self, source: RestoreSource | None, horizon_s: int, now_s: float) -> T:
        if source is None:
            return self._empty()
        key = (source.kafka.bootstrap_servers, source.topic, source.run, horizon_s)
        with self._lock:
            if key not in self._cache:
                if self._one_run:
                    self._cache.clear()
                self._cache[key] = self._load(source, horizon_s, now_s)
            return self._cache[key]


shared = SnapshotCache(load, Snapshot).get  # one snapshot per worker process and topic
