"""Exact dedup decisions: new story, unchanged re-feed, revision, republication, horizon."""

from __future__ import annotations

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.keys import identity_key, story_id_for, version_id
from pipeline.transforms.dedup.local import LocalDeduplicator
from tests.support import Clock, dispatch


def test_identity_key_falls_back_from_url_to_guid_to_content() -> None:
    assert identity_key(dispatch("https://a/x", "b")) == "url:https://a/x"
    assert identity_key(dispatch(None, "b", guid="g1")).startswith("guid:")
    assert identity_key(dispatch(None, "b")).startswith("hash:")


def test_first_sighting_is_version_1_with_deterministic_ids() -> None:
    out = LocalDeduplicator().offer(dispatch("https://a/x", "Para 1"))
    assert isinstance(out, Dispatch)
    assert out.version == 1 and out.supersedes is None
    assert out.story_id == story_id_for("url:https://a/x")
    assert out.id == version_id(out.story_id, 1, out.content_hash)


def test_unchanged_refeed_is_suppressed() -> None:
    dd = LocalDeduplicator()
    first = dd.offer(dispatch("https://a/x", "Para 1"))
    again = dd.offer(dispatch("https://a/x", "Para 1"))
    assert isinstance(again, DuplicateNotice)
    assert again.reason == "unchanged_refeed" and again.duplicate_of == first.id


def test_changed_text_is_next_version_superseding_the_previous() -> None:
    dd = LocalDeduplicator()
    v1 = dd.offer(dispatch("https://a/x", "Para 1"))
    v2 = dd.offer(dispatch("https://a/x", "Para 1\n\nPara 2", headline="Poutine arrive à Minsk"))
    assert isinstance(v2, Dispatch)
    assert (v2.story_id, v2.version, v2.supersedes) == (v1.story_id, 2, v1.id)
    assert v2.change_summary == "headline changed; 1 paragraph(s) added"


def test_same_text_under_another_url_is_a_content_duplicate() -> None:
    dd = LocalDeduplicator()
    first = dd.offer(dispatch("https://a/x", "Same body"))
    copy = dd.offer(dispatch("https://b/y", "Same body"))
    assert isinstance(copy, DuplicateNotice)
    assert copy.reason == "content_hash" and copy.story_id == first.story_id


def test_state_is_forgotten_after_the_horizon() -> None:
    clock = Clock()
    dd = LocalDeduplicator(horizon_s=3600, clock=clock)
    dd.offer(dispatch("https://a/x", "Body"))
    clock.t += 3601
    out = dd.offer(dispatch("https://a/x", "Body"))
    assert isinstance(out, Dispatch) and out.version == 1
