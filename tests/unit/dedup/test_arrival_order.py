"""The agency's update is a new version of the story whichever copy arrived first (the poller polls feeds
concurrently, so a republication can reach the pipeline before the agency's own dispatch)."""

from __future__ import annotations

import itertools

import pytest

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.poller.parse import parse_feed
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.normalize import normalize_entry
from tests.conftest import FIXTURES

NOW_MS = 1_671_500_000_000


def _dispatches(name: str) -> list[Dispatch]:
    body = (FIXTURES / "dedup" / "feeds" / name).read_bytes()
    url = f"http://127.0.0.1/{name}"
    return [normalize_entry(e, now_ms=NOW_MS) for e in parse_feed(body, {}, url, NOW_MS).entries]


@pytest.mark.parametrize("agency_first", [True, False], ids=["agency-first", "republication-first"])
def test_update_is_version_2_whatever_arrived_first(agency_first: bool) -> None:
    agency = _dispatches("reuters-v1.xml")
    republication = _dispatches("courrier.xml")
    update = [d for d in _dispatches("reuters-v2.xml") if d.revision_hint]
    assert len(update) == 1
    first = agency + republication if agency_first else republication + agency
    dedup = LocalDeduplicator(clock=lambda: NOW_MS / 1000)
    outcomes = [dedup.offer(d) for d in itertools.chain(first, update)]
    emitted = [o for o in outcomes if isinstance(o, Dispatch)]
    assert [d.version for d in emitted] == [1, 2]
    v1, v2 = emitted
    assert v2.story_id == v1.story_id and v2.supersedes == v1.id
    near = [n for n in outcomes if isinstance(n, DuplicateNotice) and n.reason == "near_duplicate"]
    assert near and all(n.story_id == v1.story_id for n in near)
    # Known gap (docs/dedup.md): an exact re-feed of a copy that the near-dup step moved to another story is
    # audited under the exact step's own story id.
