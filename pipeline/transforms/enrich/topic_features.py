"""Topic features: words (as ``keywords.words`` splits them) in, a sparse hashed vector out (bucket ids + weights).

One definition serves training (``train/topics``) and scoring, so the two cannot drift.  Features are folded words
(casefolded, accents removed), word bigrams, character 4-grams of each word with boundary marks and (optionally)
the topics whose cue stems match (``topic_cues``; the same feature in every language); each is hashed with CRC-32
(deterministic across processes and machines, unlike Python's ``hash``) into ``BUCKETS`` buckets.  Counts per bucket
are dampened (``1 + log tf``) and the vector is L2-normalised, so a 40-word summary and a 2,000-character dispatch
land on the same scale.  Only the first ``MAX_WORDS`` words count: the headline and lead carry the topic.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

import numpy as np

from pipeline.transforms.enrich.topic_cues import cue_hits, fold_word

BUCKETS = 1 << 18
MAX_WORDS = 150
CHAR_N = 4


def folded_words(words: Iterable[str]) -> list[str]:
    """The first ``MAX_WORDS`` tokens of the words folded (a word gives one token, or more, or none)."""
    words = words if isinstance(words, list) else list(words)
    out = list(chain.from_iterable(map(fold_word, words[:MAX_WORDS])))
    if len(out) < MAX_WORDS:  # fewer tokens than words: go on as far as the tokens reach MAX_WORDS
        for w in words[MAX_WORDS:]:
            if len(out) >= MAX_WORDS:
                break
            out.extend(fold_word(w))
    return out[:MAX_WORDS]


def _word_features(tok: str) -> list[str]:
    feats = ["w " + tok]
    if len(tok) >= CHAR_N:
        marked = f"<{tok}>"
        feats.extend("c " + marked[j : j + CHAR_N] for j in range(len(marked) - CHAR_N + 1))
    return feats


def feature_counts(words: Iterable[str], language: str | None = None, cues: bool = False) -> Counter[str]:
    """Feature strings and their counts (what the model sees; ``hashed`` is these, bucketed)."""
    toks = folded_words(words)
    feats: Counter[str] = Counter()
    if cues:  # language-independent: French conflict stems firing look like the English ones firing
        for code, n in cue_hits(toks, language, folded=True).items():
            feats["x " + code] += n
    for i, tok in enumerate(toks):
        feats.update(_word_features(tok))
        if i:
            feats["b " + toks[i - 1] + " " + tok] += 1
    return feats


def bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (BUCKETS - 1)


@lru_cache(maxsize=1 << 16)
def _word_buckets(tok: str) -> tuple[int, ...]:
    """A word's own features, bucketed once per worker: news vocabulary repeats, so most words are cache hits."""
    return tuple(bucket(f) for f in _word_features(tok))


def hashed(
    words: Iterable[str], language: str | None = None, cues: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids int32, weights float32), ids unique and sorted; empty arrays when there are no words.

    The same vector as bucketing ``feature_counts`` (counts summed per bucket, then ``1 + log``), built faster."""
    toks = folded_words(words)
    ids: list[int] = []
    if cues:
        for code, n in cue_hits(toks, language, folded=True).items():
            ids.extend([bucket("x " + code)] * n)
    crc, mask = zlib.crc32, BUCKETS - 1
    ids.extend(chain.from_iterable(map(_word_buckets, toks)))
    prev = None  # word pairs in a plain loop: measured faster than map over "b {} {}".format or a cached CRC
    for tok in toks:
        if prev is not None:
            ids.append(crc(f"b {prev} {tok}".encode()) & mask)  # bucket() inlined: one call per word pair
        prev = tok
    if not ids:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    idx, counts = np.unique(np.array(ids, np.int32), return_counts=True)
    val = (1.0 + np.log(counts)).astype(np.float32)
    return idx, val / np.float32(np.linalg.norm(val))
