"""The in-process index's tables: 64-bit key -> value (a packed record or a bucket of them), ~20-30 bytes a key.

Per tracked story the index holds ~20 LSH bucket slots (16 MinHash bands + 4 lead bands) plus an identity and a
content key, so the cost of a slot is most of the index's memory.  A ``dict`` keyed by the band key string costs
~170 bytes a slot (68-byte key string, dict slot, 1-tuple), by its int hash still ~100 (a 36-byte int object per
key); spaCy's ``preshed.PreshMap`` 28-53 bytes (16-byte cells, resized at ~60 % load).  Here the keys live in an
open-addressing table of two ``array``s -- 64-bit keys and 32-bit indexes into a list of values, 12 bytes a cell,
linear probing, grown at 3/4 load (16-32 bytes a key) -- and the list holds the value (8 bytes a slot).  A bucket
holding one entry (the common case) stores it bare.  ``hash`` of a str is stable within a process, which is all
these tables need (they are rebuilt per process from the output topic, see restore.py); two keys sharing a 64-bit
hash would make one bucket probe a few more candidates, each still verified, or (identity and content keys, ~1e-9
at the 200,000-story cap) one story look like another.

Why not a library: ``dict`` and ``preshed`` are measured above; numpy arrays give the same bytes but every scalar
read costs ~100 ns from Python, ``array`` indexing ~30 ns (numpy does the rebuilds, where whole arrays move).

It is a ``MutableMapping`` so that ``LocalDeduplicator`` can lay a ``ChainMap`` overlay over it per bundle.
"""

from __future__ import annotations

from array import array
from collections import ChainMap
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

import numpy as np

E = TypeVar("E")  # an entry: a NearEntry, or its packed record in the in-process index (packed.py)
_MASK = (1 << 64) - 1
_TOMB = 0xFFFF_FFFF  # a deleted cell: lookups probe past it
V = TypeVar("V")


def table_key(text: str) -> int:
    """A band, identity or content key as a table key: its 64-bit hash (stable within the process)."""
    return hash(text) & _MASK


def entries(bucket: E | tuple[E, ...]) -> tuple[E, ...]:
    return bucket if isinstance(bucket, tuple) else (bucket,)


def compact(bucket: tuple[E, ...]) -> E | tuple[E, ...]:
    return bucket[0] if len(bucket) == 1 else bucket


class BucketTable(MutableMapping[int, V]):
    """A ``MutableMapping`` from 64-bit ints to values; deleted cells are tombstones until the next rebuild."""

    def __init__(self, capacity: int = 1 << 10) -> None:
        self._new(capacity)
        self._values: list[V | None] = []
        self._free: list[int] = []

    def _new(self, capacity: int) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._at = array("I", bytes(4 * capacity))  # 0 empty, _TOMB deleted, else 1 + index into _values
        self._mask = capacity - 1
        self._used = 0  # live cells and tombstones

    def _find(self, key: int) -> int:
        """The cell holding ``key``, or ``-1 - i`` for the empty cell ``i`` where its probe ended."""
        keys, at, mask = self._keys, self._at, self._mask
        i = key & mask
        while True:
            a = at[i]
            if a == 0:
                return -1 - i
            if keys[i] == key and a != _TOMB:
                return i
            i = (i + 1) & mask

    def get(self, key: int, default: Any = None) -> Any:  # the hot path: no KeyError for the common miss
        i = self._find(key & _MASK)
        return default if i < 0 else self._values[self._at[i] - 1]

    def __getitem__(self, key: int) -> V:
        i = self._find(key & _MASK)
        if i < 0:
            raise KeyError(key)
        value = self._values[self._at[i] - 1]
        assert value is not None
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self._find(key & _MASK) >= 0

    def __setitem__(self, key: int, value: V) -> None:
        key &= _MASK
        i = self._find(key)
        if i >= 0:
            self._values[self._at[i] - 1] = value
            return
        if self._free:
            slot = self._free.pop()
            self._values[slot] = value
        else:
            slot = len(self._values)
            self._values.append(value)
        if 4 * (self._used + 1) > 3 * len(self._keys):
            self._rebuild()
            self._place(key, slot + 1)
        else:  # the probe ended on the first empty cell: the key goes there
            self._keys[-1 - i], self._at[-1 - i] = key, slot + 1
            self._used += 1

    def _place(self, key: int, at: int) -> None:
        keys, cells, mask = self._keys, self._at, self._mask
        i = key & mask
        while cells[i] != 0:  # a fresh key goes to the first empty cell (tombstones are cleared by rebuilds)
            i = (i + 1) & mask
        keys[i], cells[i] = key, at
        self._used += 1

    def _rebuild(self) -> None:
        """Re-place the live keys without tombstones, in the smallest table that leaves them at most half full.

        Vectorised (a rebuild of the 200,000-story cap moves ~4M keys): sorted by home cell, key i of a run lands
        on ``i + cummax(home - i)``, the first free cell at or after its home; the few that run past the end wrap
        around one by one."""
        old_keys = np.frombuffer(self._keys, dtype=np.uint64)
        old_at = np.frombuffer(self._at, dtype=np.uint32)
        live = (old_at != 0) & (old_at != _TOMB)
        keys, ats = old_keys[live], old_at[live]
        capacity = 1 << 10
        while 2 * (len(keys) + 1) > capacity:
            capacity *= 2
        home = (keys & np.uint64(capacity - 1)).astype(np.int64)
        order = np.argsort(home, kind="stable")
        keys, ats, home = keys[order], ats[order], home[order]
        rank = np.arange(len(keys), dtype=np.int64)
        cell = rank + np.maximum.accumulate(home - rank) if len(keys) else rank
        fits = cell < capacity
        new_keys = np.zeros(capacity, dtype=np.uint64)
        new_at = np.zeros(capacity, dtype=np.uint32)
        new_keys[cell[fits]], new_at[cell[fits]] = keys[fits], ats[fits]
        self._mask, self._used = capacity - 1, int(fits.sum())
        self._keys, self._at = array("Q", new_keys.tobytes()), array("I", new_at.tobytes())
        for k, a in zip(keys[~fits].tolist(), ats[~fits].tolist(), strict=True):
            self._place(k, a)

    def __delitem__(self, key: int) -> None:
        i = self._find(key & _MASK)
        if i < 0:
            raise KeyError(key)
        slot = self._at[i] - 1
        self._at[i] = _TOMB
        self._values[slot] = None
        self._free.append(slot)

    def __iter__(self) -> Iterator[int]:
        return (k for k, a in zip(self._keys, self._at, strict=True) if a and a != _TOMB)

    def items(self) -> Iterator[tuple[int, V]]:  # type: ignore[override]  # one pass, no lookup per key
        values = self._values
        return ((k, values[a - 1]) for k, a in zip(self._keys, self._at, strict=True) if a and a != _TOMB)  # type: ignore[misc]

    def values(self) -> Iterator[V]:  # type: ignore[override]
        return (value for _, value in self.items())

    def __len__(self) -> int:
        return len(self._values) - len(self._free)


_MISSING = object()


class Overlay(ChainMap):
    """A bundle's writes over a table (``maps`` = [writes, table]), with a ``get`` that does not raise per miss."""

    def get(self, key: Any, default: Any = None) -> Any:
        top, base = self.maps
        value = top.get(key, _MISSING)
        return base.get(key, default) if value is _MISSING else value


class OverlaidTables:
    """All-or-nothing groups of writes (a Beam bundle) over the dict attributes named in ``TABLES``: ``begin`` puts
    an ``Overlay`` over each, ``commit`` folds its writes in and then keeps the index bounded, ``rollback`` drops
    them (``LocalDeduplicator``, cluster's ``ClusterIndex``).

    Bounds, after a commit: every ``SWEEP_EVERY`` offers (the subclass counts them in ``_offers``) ``_expire(now_ms)``
    forgets what is older than the horizon; over ``max_items`` entries in the ``SIZE`` table ``_evict(now_ms)``
    forgets the least recently seen."""

    TABLES: tuple[str, ...] = ()
    SIZE = ""  # the table whose length counts the tracked items (``max_items``)
    SWEEP_EVERY = 10_000
    clock: Callable[[], float]
    max_items: int | None
    _offers: int
    _expire: Callable[[int], None]  # the subclass's sweeps (see above)
    _evict: Callable[[int], None]

    def begin(self) -> None:
        """Later offers write to an overlay until ``commit`` (or are dropped by ``rollback``)."""
        self.begin_tables()

    def commit(self) -> None:
        self.commit_tables()
        now_ms = int(self.clock() * 1000)
        if self._offers >= self.SWEEP_EVERY:
            self._offers = 0
            self._expire(now_ms)
        if self.max_items is not None and len(getattr(self, self.SIZE)) > self.max_items:
            self._evict(now_ms)

    def rollback(self) -> None:
        self.rollback_tables()

    def begin_tables(self) -> None:
        for name in self.TABLES:
            table = getattr(self, name)
            if not isinstance(table, ChainMap):
                setattr(self, name, Overlay({}, table))

    def commit_tables(self) -> None:
        for name in self.TABLES:
            table = getattr(self, name)
            if isinstance(table, ChainMap):
                table.maps[1].update(table.maps[0])
                setattr(self, name, table.maps[1])

    def rollback_tables(self) -> None:
        for name in self.TABLES:
            table = getattr(self, name)
            if isinstance(table, ChainMap):
                setattr(self, name, table.maps[1])
