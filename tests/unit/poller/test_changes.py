from __future__ import annotations

from pipeline.model import RawEntry
from pipeline.poller import keys
from pipeline.poller.changes import Seen, classify


def entry(guid, link, title="t", summary="s"):
    return RawEntry(
        feed_url="http://f/",
        entry_key=keys.entry_key(guid, link, title, summary),
        content_hash=keys.content_hash(title, summary, None),
        guid=guid,
        link=link,
        title=title,
        summary=summary,
    )


def test_new_updated_unchanged():
    a, b, c = entry("a", "http://f/a"), entry("b", "http://f/b"), entry("c", "http://f/c")
    b2 = entry("b", "http://f/b", summary="changed")
    seen = {a.entry_key: Seen(a.content_hash, 0), b.entry_key: Seen(b.content_hash, 0)}
    ch = classify([a, b2, c], seen, {})
    assert [e.entry_key for e in ch.new] == [c.entry_key]
    assert [e.entry_key for e in ch.updated] == [b.entry_key] and ch.updated[0].is_update
    assert ch.unchanged == [a.entry_key]
    assert ch.to_send == ch.new + ch.updated


def test_duplicate_entries_in_one_document_count_once():
    a = entry("a", "http://f/a")
    assert len(classify([a, a], {}, {}).new) == 1


def test_guid_drift_keeps_old_key_and_is_counted():
    old = entry("a-1", "http://f/a")
    new = entry("a-2", "http://f/a")
    seen = {old.entry_key: Seen(old.content_hash, 0, "http://f/a")}
    ch = classify([new], seen, {"http://f/a": old.entry_key})
    assert ch.drift == 1 and not ch.new and not ch.updated and ch.unchanged == [old.entry_key]


def test_drift_with_changed_text_is_an_update_under_the_old_key():
    old = entry("a-1", "http://f/a")
    new = entry("a-2", "http://f/a", summary="new text")
    ch = classify([new], {old.entry_key: Seen(old.content_hash, 0)}, {"http://f/a": old.entry_key})
    assert ch.drift == 1 and ch.updated[0].entry_key == old.entry_key and ch.updated[0].is_update


def test_shared_links_are_not_taken_for_drift():
    old = entry("h1", "http://f/")
    x, y = entry("x", "http://f/"), entry("y", "http://f/")
    ch = classify([x, y], {old.entry_key: Seen(old.content_hash, 0)}, {"http://f/": old.entry_key})
    assert ch.drift == 0 and len(ch.new) == 2
