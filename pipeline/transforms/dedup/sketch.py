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


def minhash(shingle_hashes: frozenset[int]) -> np.ndarray:
    x = np.fromiter(shingle_hashes, dtype=np.uint64, count=len(shingle_hashes))
    # (a*x + b) mod p with a, x < 2^32: the product fits in 64 bits, the mod keeps the family universal
    return ((np.outer(x, _A) + _B) % _PRIME).min(axis=0)


def band_keys(sig: np.ndarray) -> tuple[str, ...]:
    rows = sig.reshape(BANDS, ROWS)
    return tuple(
        f"b{i}:{hashlib.blake2b(rows[i].tobytes(), digest_size=8).hexdigest()}" for i in range(BANDS)
    )


def lead_keys(lead: tuple[int, ...]) -> tuple[str, ...]:
    """Extra buckets over the first shingles in text order: a republished lead (first paragraphs only) has a low
    Jaccard with the full story, so whole-text bands miss it, but it shares the story's opening."""
    sig = minhash(frozenset(lead))[: LEAD_BANDS * ROWS].reshape(LEAD_BANDS, ROWS)
    return tuple(
        f"l{i}:{hashlib.blake2b(sig[i].tobytes(), digest_size=8).hexdigest()}" for i in range(LEAD_BANDS)
    )


def fingerprint(shingle_hashes: frozenset[int], lead: tuple[int, ...] = ()) -> Fingerprint | None:
    """None for texts too short to compare safely (their near-duplicates are left to exact keys)."""
    if len(shingle_hashes) < MIN_SHINGLES:
        return None
    sample = array("I", sorted(shingle_hashes)[:SAMPLE])
    keys = band_keys(minhash(shingle_hashes)) + (lead_keys(lead) if len(lead) >= MIN_SHINGLES else ())
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
