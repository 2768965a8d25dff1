"""MinHash over shingle hashes, LSH band keys, and the bounded sample used to verify a candidate.

In: a set of 32-bit shingle hashes.  Out: a ``Fingerprint`` (LSH band keys, a bottom-k sample of the shingles and
the shingle count) and ``similarity(a, b)``: the estimated overlap coefficient (shared shingles over the smaller
set), which stays high when one side adds boilerplate or a paragraph, unlike Jaccard.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass

import numpy as np

BANDS = 16
ROWS = 4  # 16 x 4 = 64 permutations; LSH S-curve threshold (1/16)^(1/4) ~ 0.5 Jaccard
LEAD_BANDS = 4  # extra buckets over the opening LEAD shingles
LEAD = 40
SAMPLE = 64  # bottom-k shingles kept per tracked item for verification (256 bytes)
_PRIME = np.uint64((1 << 61) - 1)
_SHIFT = np.uint64(61)
_rng = np.random.default_rng(20221219)  # fixed: band keys must be identical on every worker and every run
_A = _rng.integers(1, (1 << 31) - 1, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, size=BANDS * ROWS, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    bands: tuple[str, ...]  # "b<i>:<hex>", one LSH bucket key per band
    sample: bytes  # bottom-k shingle hashes, array('I') bytes, sorted
    size: int  # number of distinct shingles

    def sample_set(self) -> frozenset[int]:
        a = array("I")
        a.frombytes(self.sample)
        return frozenset(a)


def _permuted(x: np.ndarray, columns: int = BANDS * ROWS) -> np.ndarray:
    """(a*x + b) mod p, one row per hash in ``x``, one column per permutation (the first ``columns`` of them).

    With a, x < 2^32 the product fits in 64 bits; the mod keeps the family universal.  p = 2^61 - 1, so
    y mod p = (y & p) + (y >> 61), less p once if that reaches p: exact for any 64-bit y, and bit operations
    instead of a 64-bit division per cell (~30 % of minhash)."""
    y = np.multiply.outer(x, _A[:columns])
    y += _B[:columns]
    return _mod_prime(y)


def _mod_prime(y: np.ndarray) -> np.ndarray:
    """``y % _PRIME`` for a uint64 array (consumes ``y``)."""
    r = y & _PRIME
    y >>= _SHIFT
    r += y
    np.subtract(r, _PRIME, out=r, where=r >= _PRIME)
    return r


def minhash(shingle_hashes: frozenset[int]) -> np.ndarray:
    return _permuted(np.fromiter(shingle_hashes, dtype=np.uint64, count=len(shingle_hashes))).min(axis=0)


def _keys(prefix: str, sig: np.ndarray, bands: int) -> tuple[str, ...]:
    raw = sig.tobytes()  # the bands' rows in order, ROWS values each
    step = ROWS * sig.itemsize
    return tuple(
        f"{prefix}{i}:{hashlib.blake2b(raw[i * step : (i + 1) * step], digest_size=8).hexdigest()}"
        for i in range(bands)
    )


def band_keys(sig: np.ndarray) -> tuple[str, ...]:
    return _keys("b", sig.reshape(BANDS * ROWS), BANDS)


def lead_keys(lead: tuple[int, ...]) -> tuple[str, ...]:
    """Extra buckets over the first shingles in text order: a republished lead (first paragraphs only) has a low
    Jaccard with the full story, so whole-text bands miss it, but it shares the story's opening."""
    x = np.fromiter(frozenset(lead), dtype=np.uint64)
    return _keys("l", _permuted(x, LEAD_BANDS * ROWS).min(axis=0), LEAD_BANDS)  # only the columns it keys


def fingerprint(shingle_hashes: frozenset[int], lead: tuple[int, ...] = ()) -> Fingerprint | None:
    """None for texts too short to compare safely (their near-duplicates are left to exact keys)."""
    if len(shingle_hashes) < MIN_SHINGLES:
        return None
    x = np.fromiter(shingle_hashes, dtype=np.uint64, count=len(shingle_hashes))
    sample = array("I", np.sort(x)[:SAMPLE].tolist())  # bottom-k; array("I") still refuses a hash >= 2^32
    keys = band_keys(_permuted(x).min(axis=0)) + (lead_keys(lead) if len(lead) >= MIN_SHINGLES else ())
    return Fingerprint(keys, sample.tobytes(), len(shingle_hashes))


MIN_SHINGLES = 8


def similarity(item: frozenset[int], stored: Fingerprint) -> float:
    return overlap(item, stored)[0]


def overlap(item: frozenset[int], stored: Fingerprint) -> tuple[float, float]:
    """Overlap coefficient |A∩B| / min(|A|, |B|) and coverage |A∩B| / max(|A|, |B|), from the item's full set and the stored bottom-k sample.

    The sample is a uniform draw of the stored set (bottom-k of a hash), so the share of it found in the item
    estimates the share of the stored set in the item; exact whenever the stored text has <= SAMPLE shingles.
    """
    sample = stored.sample_set()
    if not sample or not item:
        return 0.0, 0.0
    shared = len(sample & item) / len(sample) * stored.size
    # (overlap coefficient: is one text inside the other?, coverage: are they the same text?)
    return min(1.0, shared / min(len(item), stored.size)), min(1.0, shared / max(len(item), stored.size))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
