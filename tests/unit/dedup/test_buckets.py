"""The compact bucket table behaves as the dict it replaces, also under the per-bundle ChainMap overlay."""

from __future__ import annotations

import random
from collections import ChainMap

from pipeline.transforms.dedup.buckets import BucketTable, band_key, compact, entries
from pipeline.transforms.dedup.near import NearEntry
from pipeline.transforms.dedup.sketch import Fingerprint


def _entry(i: int) -> NearEntry:
    return NearEntry(f"s{i}", f"v{i}", 1, "src", f"h{i}", 1, Fingerprint((), b"", 0), f"item{i}", i)


def test_random_operations_match_a_dict() -> None:
    rng = random.Random(3)
    keys = [band_key(f"b{i % 20}:{rng.getrandbits(64):016x}") for i in range(400)] + [
        0,
        1,
        2,
    ]  # PreshMap reserves 0 and 1 internally: they must still work
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
    k1, k2 = band_key("b0:00"), band_key("b1:00")
    base[k1] = _entry(1)
    overlay = ChainMap({}, base)
    overlay[k2] = (_entry(2), _entry(3))
    overlay[k1] = _entry(4)
    assert entries(overlay.get(k2, ())) == (_entry(2), _entry(3)) and k2 not in base
    assert base[k1] == _entry(1)  # a rollback just drops the overlay
    base.update(overlay.maps[0])  # commit
    assert entries(base[k1]) == (_entry(4),) and len(base[k2]) == 2 and len(base) == 2
