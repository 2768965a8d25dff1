"""What dedup remembers per key: the small ``StoryState`` the stateful DoFns store and ``restore`` rebuilds.

A leaf module, so the stateful DoFns (stateful.py) and the rebuild from the output topic (restore.py) share the
type without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

SEEN_CAP = 8  # earlier content hashes kept per story


@dataclass(frozen=True, slots=True)
class StoryState:
    story_id: str
    version: int
    version_id: str
    content_hash: str
    headline: str
    paragraphs: int
    last_seen_ms: int
    # earlier versions' content hashes (bounded): a re-fed old version is no revision
    seen: tuple[str, ...] = ()
