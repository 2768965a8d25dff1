"""Train the topic classifier: pinned public data in (``data.py``), ``pipeline/data/topics/model.npz`` and a metrics
JSON out.  Fixed seed; the same inputs give the same weights.

One-vs-rest logistic regression (scikit-learn, training only) over ``topic_features.hashed`` vectors; Platt
calibration per topic on the dev split (10 % of the AG train items + SIB-200 dev); weights quantised to int8 with a
scale per topic.  Every score below is computed through the shipped runtime path (``TopicModel``, numpy only) on the
quantised weights.  Run: ``make train-topics`` (or ``python -m train.topics.train --mirror-root /work/.mirror``).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from pipeline.transforms.enrich.keywords import words
from pipeline.transforms.enrich.topic_cues import cue_hits
from pipeline.transforms.enrich.topic_features import BUCKETS, hashed
from pipeline.transforms.enrich.topic_model import TopicModel
from train.topics import data as D

SEED = 17
REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "pipeline" / "data" / "topics" / "model.npz"
METRICS = Path(__file__).resolve().parent / "metrics.json"


def tokens(text: str) -> list[str]:
    return [w for clause in words(text) for w in clause]


def world_labels(text: str) -> frozenset[str]:
    """A World item's IPTC topics (multi-label): each of politics, conflict, crime, disaster whose English cue stems
    occur in it; politics when none does.  A war story that quotes a minister is both conflict and politics."""
    hits = cue_hits(tokens(text), "en")
    return frozenset(c for c in D.WORLD if hits[c]) or frozenset({D.POLITICS})


def iptc(item: D.Item) -> frozenset[str]:
    if item.source.startswith("ag_"):
        return world_labels(item.text) if item.label == "World" else frozenset({D.AG_MAP[item.label]})
    return frozenset({D.SIB_MAP[item.label]})


def matrix(items: list[D.Item], cues: bool) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, item in enumerate(items):
        idx, val = hashed(tokens(item.text), item.lang, cues)
        rows.append(np.full(len(idx), i, np.int32))
        cols.append(idx)
        vals.append(val)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(items), BUCKETS)
    )


def fit(
    x, y: list[frozenset[str]], weight: np.ndarray, codes: list[str], c: float
) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros((BUCKETS, len(codes)), np.float32)
    b = np.zeros(len(codes), np.float32)
    for j, code in enumerate(codes):
        target = np.array([code in labels for labels in y])
        lr = LogisticRegression(C=c, solver="liblinear", random_state=SEED)
        lr.fit(x, target, sample_weight=weight)
        w[:, j], b[j] = lr.coef_[0], lr.intercept_[0]
    return w, b


def platt(z: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, solver="lbfgs")
    lr.fit(z.reshape(-1, 1), target)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def quantise(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.round(w / scale).astype(np.int8), scale.astype(np.float32)


def arrays(codes, local, cues, wq, scale, bias, a, b) -> dict[str, np.ndarray]:
    meta = {
        "codes": codes,
        "languages": sorted(local),
        "local_codes": {lang: sorted(c) for lang, c in sorted(local.items())},
        "buckets": BUCKETS,
        "cues": cues,
        "seed": SEED,
    }
    return {
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8),
        "weights": wq,
        "scale": scale,
        "bias": bias.astype(np.float32),
        "platt_a": np.asarray(a, np.float32),
        "platt_b": np.asarray(b, np.float32),
    }


def top1(model: TopicModel, items: list[D.Item], gold) -> dict[str, float]:
    """Top-1 accuracy per language (and 'all'); ``gold(item)`` is the set of right codes, empty = not scored."""
    right, total = Counter(), Counter()
    for item in items:
        ok = gold(item)
        if not ok:
            continue
        p = model.probabilities(tokens(item.text), item.lang) or {}
        best = max(p, key=p.get) if p else None
        for key in (item.lang, "all"):
            total[key] += 1
            right[key] += best in ok
    return {k: round(right[k] / total[k], 3) for k in sorted(total)} | {"n": total["all"]}


def ag_gold(item: D.Item) -> set[str]:
    return set(D.WORLD) if item.label == "World" else {D.AG_MAP[item.label]}


def ag_gold_strict(item: D.Item) -> set[str]:
    return {D.POLITICS} if item.label == "World" else {D.AG_MAP[item.label]}


def ag_sample(test: list[D.Item], per_class: int = 50) -> list[D.Item]:
    """The committed held-out sample: ``per_class`` items per AG class, drawn with the fixed seed."""
    by = defaultdict(list)
    for item in test:
        by[item.label].append(item)
    rng = random.Random(SEED)
    return [item for label in D.AG_CLASSES for item in rng.sample(by[label], per_class)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--c", type=float, default=8.0, help="inverse L2 strength (set once, not tuned)")
    ap.add_argument(
        "--sib-weight", type=float, default=3.0, help="sample weight of SIB-200 items (set once, not tuned)"
    )
    ap.add_argument("--no-cues", action="store_true", help="leave the cue-stem features out (ablation)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    root, t0 = args.mirror_root, time.time()

    ag_test = D.ag_test(root)
    ag, dropped = D.ag_train(root, ag_test)
    rng = random.Random(SEED)
    rng.shuffle(ag)
    n_dev = len(ag) // 10
    train = ag[n_dev:] + D.sib(root, "train")
    dev = ag[:n_dev] + D.sib(root, "dev")
    y_train, y_dev = [iptc(i) for i in train], [iptc(i) for i in dev]
    codes = sorted(set().union(*y_train))
    local: dict[str, set[str]] = defaultdict(set)  # language -> topics with training items in that language
    for item, labels in zip(train, y_train, strict=True):
        local[item.lang] |= labels
    weight = np.array([args.sib_weight if i.source.startswith("sib") else 1.0 for i in train])
    topic_counts = Counter(code for labels in y_train for code in labels)
    print(
        f"train {len(train)} dev {len(dev)} (AG test overlap dropped: {dropped}); topics {dict(topic_counts)}"
    )

    cues = not args.no_cues
    x_train, x_dev = matrix(train, cues), matrix(dev, cues)
    w, bias = fit(x_train, y_train, weight, codes, args.c)
    wq, scale = quantise(w)
    z_dev = (x_dev @ (wq.astype(np.float32) * scale)) + bias
    ab = [platt(z_dev[:, j], np.array([code in y for y in y_dev])) for j, code in enumerate(codes)]
    model_arrays = arrays(codes, local, cues, wq, scale, bias, [a for a, _ in ab], [b for _, b in ab])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **model_arrays)
    model = TopicModel.from_arrays(model_arrays)

    sample = ag_sample(ag_test)
    metrics = {
        "train_items": len(train),
        "dev_items": len(dev),
        "ag_test_overlap_dropped": dropped,
        "train_topics": dict(sorted(topic_counts.items())),
        "multi_label_train_items": sum(len(labels) > 1 for labels in y_train),
        "c": args.c,
        "sib_weight": args.sib_weight,
        "cues": cues,
        "dev_top1": top1(model, dev, iptc),
        "ag_test_sample_200": top1(model, sample, ag_gold),
        "ag_test_sample_200_world_as_politics": top1(model, sample, ag_gold_strict),
        "ag_test_7600": top1(model, ag_test, ag_gold),
        "sib_test": top1(model, D.sib(root, "test"), lambda i: {D.SIB_MAP[i.label]}),
        "gnad_test_de": top1(model, D.gnad_test(root), lambda i: {D.GNAD_MAP[i.label]}),
        "masakhanews_dev": top1(
            model, D.masakha_dev(root, "en") + D.masakha_dev(root, "fr"), lambda i: {D.MASAKHA_MAP[i.label]}
        ),
        "model_bytes": args.out.stat().st_size,
        "seconds": round(time.time() - t0, 1),
    }
    METRICS.write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
