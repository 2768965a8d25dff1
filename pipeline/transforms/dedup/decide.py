"""Exact dedup and revisions as pure decisions over a small stored ``StoryState`` (no Beam here).

In: the stored state of a key (or None), the key, a ``Dispatch`` and the time.  Out: the new state and the dispatch
with ``story_id``/``version``/``supersedes`` set, or a ``DuplicateNotice``.  The keyed Beam DoFns (stateful.py) and
the in-process deduplicator (local.py, also used by ``inspect`` and the stage loop) apply the same functions; this
module imports nothing of Beam, so those callers do not pay its ~2 s import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.keys import story_id_for, version_id
from pipeline.transforms.dedup.near import change_summary as near_change_summary
from pipeline.transforms.dedup.near import paragraphs
from pipeline.transforms.dedup.story import SEEN_CAP, StoryState

Clock = Callable[[], float]


def _paragraphs(d: Dispatch) -> int:
    return paragraphs(d.body)


def change_summary(prev: StoryState, d: Dispatch) -> str:
    return near_change_summary(prev.headline, prev.paragraphs, d)


def decide_identity(
    prev: StoryState | None, identity: str, d: Dispatch, now_ms: int
) -> tuple[StoryState, Dispatch | DuplicateNotice]:
    """First sighting -> version 1; same content -> unchanged re-feed; changed content -> version N+1."""
    if prev is None:
        sid = story_id_for(identity)
        vid = version_id(sid, 1, d.content_hash)
        state = StoryState(sid, 1, vid, d.content_hash, d.headline, _paragraphs(d), now_ms)
        return state, d.replace(id=vid, story_id=sid, version=1, supersedes=None)
    if d.content_hash == prev.content_hash or d.content_hash in prev.seen:
        notice = DuplicateNotice(prev.story_id, prev.version_id, "unchanged_refeed", 1.0, d, now_ms)
        return _touch(prev, now_ms), notice
    version = prev.version + 1
    vid = version_id(prev.story_id, version, d.content_hash)
    seen = (*prev.seen, prev.content_hash)[-SEEN_CAP:]
    state = StoryState(prev.story_id, version, vid, d.content_hash, d.headline, _paragraphs(d), now_ms, seen)
    emitted = d.replace(
        id=vid,
        story_id=prev.story_id,
        version=version,
        supersedes=prev.version_id,
        change_summary=change_summary(prev, d),
    )
    return state, emitted


def decide_content(
    prev: StoryState | None, key: str, d: Dispatch, now_ms: int
) -> tuple[StoryState, Dispatch | DuplicateNotice]:
    """The same normalized text under another identity (republication, re-fed URL) is a duplicate."""
    if prev is None or prev.story_id == d.story_id:
        state = StoryState(
            d.story_id,
            d.version,
            d.id,
            d.content_hash,
            d.headline,
            _paragraphs(d),
            now_ms,
        )
        return state, d
    return _touch(prev, now_ms), DuplicateNotice(
        prev.story_id, prev.version_id, "content_hash", 1.0, d, now_ms
    )


def _touch(state: StoryState, now_ms: int) -> StoryState:
    return replace(state, last_seen_ms=now_ms)


Decide = Callable[
    [StoryState | None, str, Dispatch, int],
    tuple[StoryState, Dispatch | DuplicateNotice],
]
