"""MinHash, band keys and the bottom-k sample give exactly what the plain definitions give."""

from __future__ import annotations

import hashlib
from array import array

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.transforms.dedup.sketch import (
    _A,
    _B,
    _PRIME,
    BANDS,
    LEAD_BANDS,
    ROWS,
    SAMPLE,
    _mod_prime,
    fingerprint,
    minhash,
)


def plain_minhash(hashes: frozenset[int]) -> np.ndarray:
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    return ((np.outer(x, _A) + _B) % _PRIME).min(axis=0)


def plain_keys(prefix: str, sig: np.ndarray, bands: int) -> tuple[str, ...]:
    rows = sig[: bands * ROWS].reshape(bands, ROWS)
    return tuple(
        f"{prefix}{i}:{hashlib.blake2b(rows[i].tobytes(), digest_size=8).hexdigest()}" for i in range(bands)
    )


hashes = st.frozensets(st.integers(0, 2**32 - 1), min_size=1, max_size=400)
extremes = st.frozensets(st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 2, 2**32 - 1]), min_size=1)


@settings(max_examples=300, deadline=None)
@given(st.one_of(hashes, extremes))
def test_minhash_is_the_plain_mod(h: frozenset[int]) -> None:
    assert minhash(h).tolist() == plain_minhash(h).tolist()


@settings(max_examples=200, deadline=None)
@given(hashes, st.lists(st.integers(0, 2**32 - 1), max_size=40))
def test_fingerprint_is_the_plain_one(h: frozenset[int], lead: list[int]) -> None:
    fp = fingerprint(h, tuple(lead))
    if len(h) < 8:
        assert fp is None
        return
    assert fp is not None
    keys = plain_keys("b", plain_minhash(h), BANDS)
    if len(lead) >= 8:
        keys += plain_keys("l", plain_minhash(frozenset(lead)), LEAD_BANDS)
    assert fp.bands == keys
    assert fp.sample == array("I", sorted(h)[:SAMPLE]).tobytes()
    assert fp.size == len(h)


def test_mod_prime_at_the_edges() -> None:
    p = (1 << 61) - 1
    edges = [0, 1, p - 1, p, p + 1, 2 * p - 1, 2 * p, 2 * p + 1, 1 << 61, (1 << 62) - 1, 3 * p, 4 * p + 3]
    edges += [(1 << 63) + k for k in (-1, 0, 1)] + [(1 << 64) - k for k in (1, 2, 8, 9)]
    edges += [k * p + r for k in range(9) for r in (0, 1, 2, 5, 6, 7, 8) if k * p + r < 1 << 64]
    y = np.array(edges, dtype=np.uint64)
    assert _mod_prime(y.copy()).tolist() == [e % p for e in edges]
