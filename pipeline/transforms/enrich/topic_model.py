"""The trained topic classifier at run time: hashed features in, a calibrated probability per IPTC topic out.

A one-vs-rest linear model over ``topic_features`` (trained by ``train/topics/train.py``, see its MODEL_CARD.md),
shipped as ``pipeline/data/topics/model.npz``: int8 weights with one scale per topic, a bias per topic, and Platt
calibration (``a``, ``b``) fitted on a dev split, so ``sigmoid(a * z + b)`` is a probability per topic (multi-label:
the topics' probabilities need not sum to one).  numpy only; no scikit-learn at run time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from pipeline.transforms.enrich.topic_features import BUCKETS, hashed

MODEL_FILE = "model.npz"


@dataclass(frozen=True)
class TopicModel:
    codes: tuple[str, ...]  # IPTC codes, one per column
    languages: frozenset[str]  # languages the model was trained and measured on
    cues: bool  # whether cue-stem hits are features (topic_features.hashed)
    local_codes: dict[str, frozenset[str]]  # language -> topics it had training items for in that language
    weights: np.ndarray  # (BUCKETS, n_codes) int8
    scale: np.ndarray  # (n_codes,) float32: weight = int8 * scale
    bias: np.ndarray  # (n_codes,) float32
    platt_a: np.ndarray  # (n_codes,) float32
    platt_b: np.ndarray  # (n_codes,) float32

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TopicModel:
        meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
        if meta["buckets"] != BUCKETS or arrays["weights"].shape != (BUCKETS, len(meta["codes"])):
            raise ValueError(f"topic model built for {meta['buckets']} buckets, features use {BUCKETS}")
        return cls(
            codes=tuple(meta["codes"]),
            languages=frozenset(meta["languages"]),
            cues=bool(meta.get("cues", False)),
            local_codes={lang: frozenset(c) for lang, c in meta.get("local_codes", {}).items()},
            weights=arrays["weights"],
            scale=arrays["scale"].astype(np.float32),
            bias=arrays["bias"].astype(np.float32),
            platt_a=arrays["platt_a"].astype(np.float32),
            platt_b=arrays["platt_b"].astype(np.float32),
        )

    def probabilities(self, words: Iterable[str], language: str | None) -> dict[str, float] | None:
        """Topic code -> calibrated probability; None when the text has no words to judge by."""
        idx, val = hashed(words, language, self.cues)
        if not len(idx):
            return None
        z = (val @ self.weights[idx].astype(np.float32)) * self.scale + self.bias
        p = 1.0 / (1.0 + np.exp(-(self.platt_a * z + self.platt_b)))
        return dict(zip(self.codes, p.tolist(), strict=True))


@lru_cache(maxsize=1)
def load_model() -> TopicModel:
    """The shipped model, read once per process (a few MB; ~50 ms)."""
    path = resources.files("pipeline") / "data" / "topics" / MODEL_FILE
    with path.open("rb") as fh, np.load(fh) as arrays:
        return TopicModel.from_arrays({k: arrays[k] for k in arrays.files})
