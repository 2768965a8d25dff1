"""Deliberate dedup keys and deterministic ids.

In: a normalized ``Dispatch``.  Out: its identity key (canonical URL, else GUID, else content hash — one explicit
fallback chain), its content key, and UUIDv5 ids for stories and versions, so that reprocessing the same input gives
the same ids (idempotent output keys) and different texts never share one.
"""

from __future__ import annotations

import uuid

from pipeline.model import Dispatch

NAMESPACE = uuid.UUID("6f1c1a3e-2a7e-5b3c-9d55-0d7a1f0e4b21")


def identity_key(d: Dispatch) -> str:
    """Where the same story is expected to come back: its canonical URL, else its GUID, else its content."""
    if d.uri:
        return f"url:{d.uri}"
    if d.guid:
        return f"guid:{d.feed_url}\x1f{d.guid}"
    return f"hash:{d.content_hash}"


def content_key(d: Dispatch) -> str:
    return f"hash:{d.content_hash}"


def story_id_for(identity: str) -> str:
    return str(uuid.uuid5(NAMESPACE, identity))


def version_id(story_id: str, version: int, content_hash: str) -> str:
    """The id of one article version: story, version number *and* text, so that two different texts never share
    an id, even when a runner without ordered state numbers two concurrent revisions of a story alike."""
    return str(uuid.uuid5(NAMESPACE, f"{story_id}/v{version}/{content_hash}"))
