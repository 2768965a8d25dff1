"""Compact records for the in-process index: a ``StoryState`` or a ``NearEntry`` as one ``bytes`` object.

The index keeps one record per tracked story per table, for up to ``dedup_max_items`` stories, so the size of a
record is the index's memory.  As Python objects a story costs ~2.1 KB (a slotted object, three 36-64 character id
strings of ~85-113 bytes each, the key strings, a ``Fingerprint`` and the item key); packed it is one ``bytes``:
ids that are canonical UUIDs are kept as their 16 bytes and lowercase hex digests as their raw bytes (anything else
verbatim, so unpacking always gives back the exact strings), the source as an index into a per-index table of the
few distinct outlets, the item key as its 64-bit hash (it is only compared for equality).  Records are unpacked on
read, so the decisions (near.py, stateful.py) see the same objects as before.

Layout: a fixed head (``last_seen_ms`` first, read without unpacking the rest when expiring), then tagged strings,
then (entries) the fingerprint's sample bytes.
"""

from __future__ import annotations

import struct

from pipeline.transforms.dedup.near import NearEntry
from pipeline.transforms.dedup.sketch import Fingerprint
from pipeline.transforms.dedup.story import StoryState

_RAW, _UUID, _HEX = 0, 1, 2
_LAST_SEEN = struct.Struct("<q")
_STORY = struct.Struct("<qIIB")  # last_seen_ms, version, paragraphs, number of earlier content hashes
_ENTRY = struct.Struct("<qIIIqI")  # last_seen_ms, version, paragraphs, source index, item hash, shingle count
_ITEM = struct.Struct("<q")  # an entry's item hash, at offset 20 of its head
_LEN = struct.Struct("<I")


def _put(out: bytearray, s: str) -> None:
    n = len(s)
    if n == 36 and s[8] == s[13] == s[18] == s[23] == "-":
        h = s.replace("-", "")
        b = _fromhex(h)
        if len(b) == 16 and b.hex() == h:  # canonical: unpacking gives back the same text
            out.append(_UUID)
            out += b
            return
    elif n in (32, 40, 64):
        b = _fromhex(s)
        if b.hex() == s:
            out.append(_HEX)
            out.append(n // 2)
            out += b
            return
    raw = s.encode("utf-8", "surrogatepass")
    out.append(_RAW)
    out += _LEN.pack(len(raw))
    out += raw


def _fromhex(s: str) -> bytes:
    try:
        return bytes.fromhex(s)
    except ValueError:
        return b""


def _get(rec: bytes, at: int) -> tuple[str, int]:
    tag = rec[at]
    if tag == _UUID:
        h = rec[at + 1 : at + 17].hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", at + 17
    if tag == _HEX:
        n = rec[at + 1]
        return rec[at + 2 : at + 2 + n].hex(), at + 2 + n
    (n,) = _LEN.unpack_from(rec, at + 1)
    start = at + 1 + _LEN.size
    return rec[start : start + n].decode("utf-8", "surrogatepass"), start + n


def last_seen_ms(rec: bytes) -> int:
    return _LAST_SEEN.unpack_from(rec)[0]


def entry_item(rec: bytes) -> int:
    return _ITEM.unpack_from(rec, 20)[0]


def item_hash(item: str | int) -> int:
    """The item key as the 64-bit number entries keep (equality is all it is used for)."""
    return item if isinstance(item, int) else hash(item) & 0x7FFF_FFFF_FFFF_FFFF


def pack_story(s: StoryState) -> bytes:
    out = bytearray(_STORY.pack(s.last_seen_ms, s.version, s.paragraphs, len(s.seen)))
    for text in (s.story_id, s.version_id, s.content_hash, s.headline, *s.seen):
        _put(out, text)
    return bytes(out)


def unpack_story(rec: bytes) -> StoryState:
    seen_ms, version, paragraphs, n_seen = _STORY.unpack_from(rec)
    at = _STORY.size
    texts = []
    for _ in range(4 + n_seen):
        text, at = _get(rec, at)
        texts.append(text)
    story_id, version_id, content_hash, headline, *seen = texts
    return StoryState(story_id, version, version_id, content_hash, headline, paragraphs, seen_ms, tuple(seen))


class EntryPacker:
    """Packs ``NearEntry``s; holds the index's table of distinct sources (outlets and feed URLs: a few hundred)."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self._source_at: dict[str, int] = {}

    def pack(self, e: NearEntry) -> bytes:
        at = self._source_at.get(e.source)
        if at is None:
            at = self._source_at[e.source] = len(self.sources)
            self.sources.append(e.source)
        head = _ENTRY.pack(e.last_seen_ms, e.version, e.paragraphs, at, item_hash(e.item), e.fp.size)
        out = bytearray(head)
        for text in (e.story_id, e.version_id, e.headline):
            _put(out, text)
        out += e.fp.sample
        return bytes(out)

    def unpack(self, rec: bytes) -> NearEntry:
        seen_ms, version, paragraphs, source, item, size = _ENTRY.unpack_from(rec)
        story_id, at = _get(rec, _ENTRY.size)
        version_id, at = _get(rec, at)
        headline, at = _get(rec, at)
        fp = Fingerprint((), rec[at:], size)
        return NearEntry(
            story_id, version_id, version, self.sources[source], headline, paragraphs, fp, item, seen_ms
        )
