"""Packed records give back exactly the objects they were made from (the decisions read the unpacked objects)."""

from __future__ import annotations

import uuid
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.transforms.dedup.keys import story_id_for, version_id
from pipeline.transforms.dedup.near import NearEntry
from pipeline.transforms.dedup.packed import (
    EntryPacker,
    entry_item,
    item_hash,
    last_seen_ms,
    pack_story,
    unpack_story,
)
from pipeline.transforms.dedup.sketch import Fingerprint
from pipeline.transforms.dedup.story import StoryState

# ids as the pipeline makes them, as other producers might write them, and text that only looks like one
ids = st.one_of(
    st.builds(lambda s: story_id_for(s), st.text(max_size=20)),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.text(max_size=40),
    st.just("0123456789abcdef0123456789abcdef0123"),  # 36 hex digits, no dashes
    st.just("0123456z-89ab-cdef-0123-456789abcdef"),  # dashes in place, not hex
)
hashes = st.one_of(
    st.binary(min_size=32, max_size=32).map(bytes.hex),
    st.binary(min_size=20, max_size=20).map(bytes.hex),
    st.binary(min_size=32, max_size=32).map(lambda b: b.hex().upper()),
    st.text(max_size=70),
)
texts = st.text(max_size=200)  # any code point, lone surrogates included
ints = st.integers(min_value=0, max_value=2**32 - 1)
times = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=150, deadline=None)
@given(ids, ints, ids, hashes, texts, ints, times, st.lists(hashes, max_size=8))
def test_story_round_trip(sid, version, vid, chash, headline, paragraphs, seen_ms, seen) -> None:
    state = StoryState(sid, version, vid, chash, headline, paragraphs, seen_ms, tuple(seen))
    rec = pack_story(state)
    assert unpack_story(rec) == state
    assert last_seen_ms(rec) == seen_ms


@settings(max_examples=150, deadline=None)
@given(
    ids, ids, ints, st.sampled_from(["Reuters", "https://f.example/rss", ""]), texts, ints, st.text(), times
)
def test_entry_round_trip(sid, vid, version, source, headline, paragraphs, item, seen_ms) -> None:
    packer = EntryPacker()
    sample = array("I", range(0, 640, 10)).tobytes()
    entry = NearEntry(
        sid, vid, version, source, headline, paragraphs, Fingerprint((), sample, 300), item, seen_ms
    )
    rec = packer.pack(entry)
    got = packer.unpack(rec)
    assert got == NearEntry(
        sid, vid, version, source, headline, paragraphs, entry.fp, item_hash(item), seen_ms
    )
    assert got.fp.sample_set() == entry.fp.sample_set()
    assert entry_item(rec) == item_hash(item) and last_seen_ms(rec) == seen_ms


def test_pipeline_ids_are_packed_small() -> None:
    sid = story_id_for("url:https://www.reuters.com/world/europe/putin-visits-belarus-2022-12-19/")
    state = StoryState(
        sid, 2, version_id(sid, 2, "ab" * 32), "ab" * 32, "Putin visits Belarus", 9, 1, ("cd" * 32,)
    )
    as_text = sum(
        len(s.encode()) for s in (state.story_id, state.version_id, state.content_hash, *state.seen)
    )
    assert len(pack_story(state)) < as_text // 2 + len(state.headline) + 40
    assert str(uuid.UUID(sid)) == sid
