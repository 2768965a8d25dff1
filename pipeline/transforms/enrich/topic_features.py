"""Topic features: words (as ``keywords.words`` splits them) in, a sparse hashed vector out (bucket ids + weights).

One definition serves training (``train/topics``) and scoring, so the two cannot drift.  Features are folded words
(casefolded, accents removed), word bigrams, character 4-grams of each word with boundary marks and (optionally)
the topics whose cue stems match (``topic_cues``; the same feature in every language); each is hashed
with CRC-32 (deterministic across processes and machines, unlike Python's ``hash``) into ``BUCKETS`` buckets.
Counts are dampened (``1 + log tf``) and the vector is L2-normalised, so a 40-word summary and a 2,000-character
dispatch land on the same scale.  Only the first ``MAX_WORDS`` words count: the headline and lead carry the topic.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable

import numpy as np

from pipeline.transforms.enrich.gazetteer import fold
from pipeline.transforms.enrich.topic_cues import cue_hits

BUCKETS = 1 << 18
MAX_WORDS = 250
CHAR_N = 4
NUMBER = "0"


def folded_words(words: Iterable[str]) -> list[str]:
    out = []
    for w in words:
        if len(out) >= MAX_WORDS:
            break
        out.extend(fold(w).split())  # fold turns "Jean-Pierre" into "jean pierre"
    return out[:MAX_WORDS]


def feature_counts(words: Iterable[str], language: str | None = None, cues: bool = False) -> Counter[str]:
    """Feature strings and their counts (exposed for tests and for reading what the model sees)."""
    toks = [NUMBER if w.isdigit() else w for w in folded_words(words)]
    feats: Counter[str] = Counter()
    if (
        cues
    ):  # language-independent: "the French conflict stems fired twice" looks like the English ones firing
        for code, n in cue_hits(toks, language, folded=True).items():
            feats["x " + code] += n
    for i, tok in enumerate(toks):
        feats["w " + tok] += 1
        if i:
            feats["b " + toks[i - 1] + " " + tok] += 1
        if len(tok) >= CHAR_N:
            marked = f"<{tok}>"
            for j in range(len(marked) - CHAR_N + 1):
                feats["c " + marked[j : j + CHAR_N]] += 1
    return feats


def bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (BUCKETS - 1)


def hashed(
    words: Iterable[str], language: str | None = None, cues: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids int32, weights float32), ids unique and sorted; empty arrays when there are no words."""
    counts: dict[int, float] = {}
    for feat, n in feature_counts(words, language, cues).items():
        b = bucket(feat)
        counts[b] = counts.get(b, 0.0) + 1.0 + math.log(n)
    if not counts:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    idx = np.fromiter(counts.keys(), np.int32, len(counts))
    val = np.fromiter(counts.values(), np.float32, len(counts))
    order = np.argsort(idx)
    idx, val = idx[order], val[order]
    return idx, val / np.float32(np.linalg.norm(val))
