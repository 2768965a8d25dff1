"""The compact bucket table behaves as the dict it replaces, also under the per-bundle ChainMap overlay."""

from __future__ import annotations

import random
from collections import ChainMap

from pipeline.transforms.dedup.buckets import BucketTable, compact, entries, table_key
from pipeline.transforms.dedup.near import NearEntry
from pipeline.transforms.dedup.sketch import Fingerprint


def _entry(i: int) -> NearEntry:
    return NearEntry(f"s{i}", f"v{i}", 1, "src", f"h{i}", 1, Fingerprint((), b"", 0), f"item{i}", i)


def test_random_operations_match_a_dict() -> None:
    rng = random.Random(3)
    keys = [table_key(f"b{i % 20}:{rng.getrandbits(64):016x}") for i in range(400)] + [
        0,
        1,
        2,
    ]  # small keys share their home cell with the hashes' low bits: probing must still find them
    table, model = BucketTable(), {}
    for step in range(20_000):
        key, op = rng.choice(keys), rng.random()
        if op < 0.5:
            value = compact(tuple(_entry(step + j) for j in range(rng.randint(1, 3))))
            table[key], model[key] = value, value
        elif op < 0.7 and key in model:
            del table[key], model[key]
        assert (key in table) == (key in model)
        assert table.get(key) is model.get(key)
        assert len(table) == len(model)
    assert sorted(table) == sorted(model)
    assert {k: table[k] for k in table} == model


def test_overlay_commit_and_rollback() -> None:
    base = BucketTable()
    k1, k2 = table_key("b0:00"), table_key("b1:00")
    base[k1] = _entry(1)
    overlay = ChainMap({}, base)
    overlay[k2] = (_entry(2), _entry(3))
    overlay[k1] = _entry(4)
    assert entries(overlay.get(k2, ())) == (_entry(2), _entry(3)) and k2 not in base
    assert base[k1] == _entry(1)  # a rollback just drops the overlay
    base.update(overlay.maps[0])  # commit
    assert entries(base[k1]) == (_entry(4),) and len(base[k2]) == 2 and len(base) == 2


def test_growth_tombstones_and_shrink_match_a_dict() -> None:
    """Many keys (several growths), then most deleted and others inserted (rebuilds over tombstones)."""
    rng = random.Random(5)
    table, model = BucketTable(), {}
    keys = [rng.getrandbits(64) for _ in range(30_000)]
    for i, key in enumerate(keys):
        table[key] = model[key] = i
    for key in keys[:25_000]:
        del table[key], model[key]
    for i in range(25_000):
        key = rng.getrandbits(64) & ~0xFFFF | (keys[i] & 0xFFFF)  # same home cells as the deleted keys
        table[key] = model[key] = -i
    assert len(table) == len(model) and dict(table.items()) == model
    assert all(key not in table for key in keys[:25_000])
    assert len(table._keys) < 4 * len(model)  # rebuilt without the tombstones, not grown on them


def test_keys_that_run_past_the_end_wrap_around() -> None:
    """Keys whose home is the last cell: a rebuild places most of them past the end, i.e. from cell 0 on."""
    rng = random.Random(9)
    table, model = BucketTable(), {}
    for i in range(1_000):
        key = rng.getrandbits(40) << 24 | 0xFFFFFF
        table[key] = model[key] = i
        if i % 7 == 0:
            table[i] = model[i] = -i  # small keys live at the start of the table, where the wrapped run goes
    assert dict(table.items()) == model and all(table[k] == v for k, v in model.items())
