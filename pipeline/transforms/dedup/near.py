"""Near-duplicate and same-source revision decisions over LSH buckets: pure functions, shared by Beam and local.

In: a dispatch already through the exact stages, its shingles and ``Fingerprint``, and the ``NearEntry`` tuples of
the LSH buckets it falls in.  Out: the best verified candidate per bucket (``probe``), one decision per item
(``decide_near``: emit unchanged, emit as version N+1 of the candidate's story, or a ``near_duplicate`` notice) and
the bucket contents after registering the item (``register``), bounded by the horizon and ``BUCKET_CAP``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.keys import version_id
from pipeline.transforms.dedup.sketch import LEAD, Fingerprint, fingerprint, overlap
from pipeline.transforms.dedup.text import shingle_list

NEAR_THRESHOLD = (
    0.6  # overlap coefficient accepted as the same text (chosen from tests/fixtures/dedup measurements)
)
UNCHANGED = 0.98  # same source and at least this similar (headline aside): a re-feed, not a revision
BUCKET_CAP = 16  # entries kept per LSH bucket (newest win): bounds memory on boilerplate-heavy buckets
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class NearEntry:
    """What a bucket remembers of one emitted (or attached) item: its story and a bounded sample of its text."""

    story_id: str
    version_id: str  # the emitted version this item is (or duplicates)
    version: int
    source: str  # source allowed to revise the story (the story's own outlet/feed)
    headline: str
    paragraphs: int
    fp: Fingerprint
    item: str | int  # idempotence: the same item registered twice replaces itself (packed.py keeps its hash)
    last_seen_ms: int


@dataclass(frozen=True)
class Candidate:
    entry: NearEntry
    similarity: float  # overlap coefficient: verified same text (one may contain the other)
    coverage: float = 1.0  # shared share of the larger text: below UNCHANGED, text was added or removed


@dataclass(frozen=True)
class NearSketch:
    """A body's near-duplicate evidence: its shingle set and fingerprint (None: too short to have one)."""

    body_len: int  # of the body it was computed from: a dispatch whose body changed since does not use it
    shingles: frozenset[int]
    fingerprint: Fingerprint | None


def near_sketch(body: str) -> NearSketch:
    """The one sketch of a body every path uses (local.py, neardup.py, restore.py, the stage pool's workers)."""
    ordered = shingle_list(body)  # no language: both stopword lists (restore has no feed language hint)
    shingles = frozenset(ordered)
    return NearSketch(len(body), shingles, fingerprint(shingles, tuple(ordered[:LEAD])))


def sketch_of(d: Dispatch) -> NearSketch:
    """``d``'s sketch: the one computed where it was normalized (``Dispatch.near_sketch``), else computed now."""
    pre = d.near_sketch
    if isinstance(pre, NearSketch) and pre.body_len == len(d.body):
        return pre
    return near_sketch(d.body)


def source_of(d: Dispatch) -> str:
    return d.outlet or d.feed_url


def item_key(d: Dispatch) -> str:
    ing = d.ingest
    return f"{d.id}/{d.content_hash[:16]}/{ing.raw_topic}/{ing.raw_partition}/{ing.raw_offset}"


def paragraphs(body: str) -> int:
    return len([p for p in body.split("\n\n") if p.strip()])


def live(entries: Iterable[NearEntry], now_ms: int, horizon_ms: int) -> list[NearEntry]:
    return [e for e in entries if now_ms - e.last_seen_ms < horizon_ms]


def probe(
    entries: Iterable[NearEntry],
    shingles: frozenset[int],
    now_ms: int,
    horizon_ms: int,
    exclude: str | int = "",
    measure: Callable[[frozenset[int], Fingerprint], tuple[float, float]] = overlap,
) -> Candidate | None:
    """The most similar verified entry of one bucket (ties: the latest version), or None.  ``measure``: ``overlap``
    or a memo of it (an item's buckets share entries)."""
    best: Candidate | None = None
    for e in live(entries, now_ms, horizon_ms):
        if e.item == exclude:
            continue
        sim, cov = measure(shingles, e.fp)
        if sim >= NEAR_THRESHOLD and (
            best is None or (sim, e.version) > (best.similarity, best.entry.version)
        ):
            best = Candidate(e, sim, cov)
    return best


def best_of(candidates: Iterable[Candidate | None]) -> Candidate | None:
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda c: (c.similarity, c.entry.version), default=None)


def change_summary(prev_headline: str, prev_paragraphs: int, d: Dispatch) -> str:
    parts = []
    if prev_headline != d.headline:
        parts.append("headline changed")
    delta = paragraphs(d.body) - prev_paragraphs
    if delta > 0:
        parts.append(f"{delta} paragraph(s) added")
    elif delta < 0:
        parts.append(f"{-delta} paragraph(s) removed")
    return "; ".join(parts) or "text edited"


@dataclass(frozen=True)
class Probe:
    """The light part of an item that each LSH bucket needs (the body itself never fans out to the buckets)."""

    item: str | int
    story_id: str
    id: str
    version: int
    source: str
    headline: str
    paragraphs: int
    shingles: frozenset[int]
    fp: Fingerprint
    content_hash: str = ""

    @classmethod
    def of(
        cls, d: Dispatch, shingles: frozenset[int], fp: Fingerprint, item: str | int | None = None
    ) -> Probe:
        return cls(
            item_key(d) if item is None else item,
            d.story_id,
            d.id,
            d.version,
            source_of(d),
            d.headline,
            paragraphs(d.body),
            shingles,
            fp,
            d.content_hash,
        )


Outcome = Literal["emit", "revision", "duplicate"]


def classify(p: Probe, best: Candidate | None) -> Outcome:
    """No candidate or the same story: emit as is.  Same source, changed text: next version.  Else: duplicate."""
    if best is None or best.entry.story_id == p.story_id:
        return "emit"
    e = best.entry
    unchanged = best.coverage >= UNCHANGED  # a retitle alone is not a material change
    return "revision" if e.source == p.source and not unchanged else "duplicate"


def entry_for(p: Probe, best: Candidate | None, now_ms: int) -> NearEntry:
    """What a bucket registers for the item: itself, its new version, or the version it duplicates."""
    outcome = classify(p, best)
    fp = replace(p.fp, bands=())  # the buckets are the bands: an entry keeps only its verification sample
    if outcome == "emit":
        return NearEntry(p.story_id, p.id, p.version, p.source, p.headline, p.paragraphs, fp, p.item, now_ms)
    assert best is not None
    e = best.entry
    if outcome == "revision":
        v = e.version + 1
        vid = version_id(e.story_id, v, p.content_hash)
        return NearEntry(e.story_id, vid, v, e.source, p.headline, p.paragraphs, fp, p.item, now_ms)
    # A duplicate joins the story it duplicates but keeps its own source and text, so that a later changed copy
    # from the same source (the agency's update of a dispatch first seen republished elsewhere) is a revision.
    return NearEntry(
        e.story_id, e.version_id, e.version, p.source, p.headline, p.paragraphs, fp, p.item, now_ms
    )


def decide_near(d: Dispatch, p: Probe, best: Candidate | None, now_ms: int) -> Dispatch | DuplicateNotice:
    """One decision per item, from the best candidate over all its buckets."""
    outcome = classify(p, best)
    if outcome == "emit":
        return d
    assert best is not None
    e = best.entry
    if outcome == "revision":
        version = e.version + 1
        return d.replace(
            id=version_id(e.story_id, version, d.content_hash),
            story_id=e.story_id,
            version=version,
            supersedes=e.version_id,
            change_summary=change_summary(e.headline, e.paragraphs, d),
        )
    return DuplicateNotice(e.story_id, e.version_id, "near_duplicate", round(best.similarity, 4), d, now_ms)


def _last_seen(e: NearEntry) -> int:
    return e.last_seen_ms


def _item(e: NearEntry) -> str | int:
    return e.item


def register(
    entries: Iterable[E],
    entry: E,
    now_ms: int,
    horizon_ms: int,
    last_seen: Callable[[E], int] = _last_seen,
    item: Callable[[E], object] = _item,
) -> tuple[E, ...]:
    """The bucket after registering ``entry``: live entries of other items, then it, at most ``BUCKET_CAP``.
    Entries are ``NearEntry``s or, in the in-process index, their packed records (with that form's accessors)."""
    own = item(entry)
    kept = [e for e in entries if now_ms - last_seen(e) < horizon_ms and item(e) != own]
    kept.append(entry)
    return tuple(kept[-BUCKET_CAP:])
