"""The in-process index's LSH bucket table: band key -> the bucket's entries, at ~36 bytes a slot instead of ~100.

Per tracked story the index holds ~20 bucket slots (16 MinHash bands + 4 lead bands), so the slot is most of the
index's memory.  A ``dict`` keyed by the band key string costs ~170 bytes a slot (68-byte key string, dict slot,
1-tuple), by its int hash still ~100 (a 36-byte int object per key).  Here keys are 64-bit hashes in a
``preshed.PreshMap`` (spaCy's open-addressing uint64 -> uint64 table, measured 28 bytes a slot at 600k keys), whose
value is an index into a list of the buckets' contents (8 bytes a slot); a bucket holding one entry (the common case)
stores it bare.  ``hash`` of a str is stable within a process, which is all this table needs (it is rebuilt per
process from the output topic, see restore.py); two band keys sharing a 64-bit hash only make one bucket probe a few
more candidates, each still verified.

It is a ``MutableMapping`` so that ``LocalDeduplicator`` can lay a ``ChainMap`` overlay over it per bundle.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

from preshed.maps import PreshMap

from pipeline.transforms.dedup.near import NearEntry

Bucket = NearEntry | tuple[NearEntry, ...]
_MASK = (1 << 64) - 1


def band_key(band: str) -> int:
    return hash(band) & _MASK  # PreshMap keys are uint64 (it handles its own reserved 0 and 1 itself)


def entries(bucket: Bucket | tuple[()]) -> tuple[NearEntry, ...]:
    return bucket if isinstance(bucket, tuple) else (bucket,)


def compact(bucket: tuple[NearEntry, ...]) -> Bucket:
    return bucket[0] if len(bucket) == 1 else bucket


class BucketTable(MutableMapping[int, Bucket]):
    def __init__(self) -> None:
        self._slots = PreshMap()  # band key -> 1 + index into _values (0/None: absent)
        self._values: list[Bucket | None] = []
        self._free: list[int] = []

    def __getitem__(self, key: int) -> Bucket:
        at = self._slots[key]
        if not at:
            raise KeyError(key)
        value = self._values[at - 1]
        assert value is not None
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and bool(self._slots[key])

    def __setitem__(self, key: int, value: Bucket) -> None:
        at = self._slots[key]
        if at:
            self._values[at - 1] = value
        elif self._free:
            i = self._free.pop()
            self._values[i] = value
            self._slots[key] = i + 1
        else:
            self._values.append(value)
            self._slots[key] = len(self._values)

    def __delitem__(self, key: int) -> None:
        at = self._slots.pop(key)
        if not at:
            raise KeyError(key)
        self._values[at - 1] = None
        self._free.append(at - 1)

    def __iter__(self) -> Iterator[int]:
        return (key for key, at in self._slots.items() if at)

    def __len__(self) -> int:
        return len(self._values) - len(self._free)
