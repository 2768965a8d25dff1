"""A stored near-duplicate entry sits in several of an item's LSH buckets: in-process dedup unpacks and verifies it
once per offer, not once per bucket (the decisions are the labelled tests' and test_decisions.py's)."""

from __future__ import annotations

from collections import Counter

from pipeline.transforms.dedup import local, near, packed
from pipeline.transforms.dedup.local import LocalDeduplicator
from tests.unit.dedup.labeled import apply, load_cases

NOW = 1_700_000_000.0


def test_each_stored_entry_is_verified_once_per_offer(monkeypatch) -> None:
    calls: Counter[bytes] = Counter()
    unpacks: Counter[bytes] = Counter()
    real_overlap, real_unpack = local.overlap, packed.EntryPacker.unpack

    def counted(item, stored):
        calls[bytes(stored.sample)] += 1
        return real_overlap(item, stored)

    def counted_unpack(self, rec):
        unpacks[bytes(rec)] += 1
        return real_unpack(self, rec)

    # both names: the one near.probe looked up before the memo, and the one in-process dedup's memo calls
    monkeypatch.setattr(local, "overlap", counted)
    monkeypatch.setattr(near, "overlap", counted)
    monkeypatch.setattr(packed.EntryPacker, "unpack", counted_unpack)
    cases = [c for c in load_cases() if c["label"] == "duplicate"]
    checked = 0
    for case in cases:
        a, b = apply(case["a"], case["case"]), apply(case["b"], case["case"])
        dd = LocalDeduplicator(clock=lambda: NOW)
        dd.offer(a)
        calls.clear()
        unpacks.clear()
        dd.offer(b)
        if not calls:  # decided by an exact key before the near-duplicate step
            continue
        checked += 1
        assert set(calls.values()) == {1}, case["case"]
        assert set(unpacks.values()) == {1}, case["case"]
    assert checked >= 10  # enough cases reach the near-duplicate step for this to mean something
