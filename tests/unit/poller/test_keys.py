from __future__ import annotations

import pytest

from pipeline.poller import keys


@pytest.mark.parametrize(
    ("guid", "link", "title", "content", "prefix"),
    [
        ("urn:uuid:1", "http://a/1", "T", "C", "g:"),
        ("  ", "http://a/1", "T", "C", "l:"),
        (None, "http://a/1", "T", "C", "l:"),
        (None, None, "T", "C", "h:"),
        (None, "", None, None, "h:"),
    ],
)
def test_entry_key_fallback_chain(guid, link, title, content, prefix):
    assert keys.entry_key(guid, link, title, content).startswith(prefix)


def test_entry_key_ignores_content_when_guid_present():
    assert keys.entry_key("g1", "l", "a", "b") == keys.entry_key("g1", "other", "c", "d")


def test_title_content_key_is_unambiguous():
    assert keys.entry_key(None, None, "ab", "c") != keys.entry_key(None, None, "a", "bc")


def test_content_hash_changes_with_any_field():
    base = keys.content_hash("t", "s", "c")
    assert base != keys.content_hash("t2", "s", "c")
    assert base != keys.content_hash("t", "s2", "c")
    assert base != keys.content_hash("t", "s", "c2")
    assert base == keys.content_hash("t", "s", "c")


def test_record_key_scopes_by_feed():
    k = keys.entry_key("same-guid", None, None, None)
    a, b = keys.record_key("http://a/feed", k), keys.record_key("http://b/feed", k)
    assert (
        a != b and a.endswith(k.encode()) and a.decode().split("/", 1)[0] == keys.feed_hash("http://a/feed")
    )
