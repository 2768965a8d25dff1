"""Score the shipped topic model on held-out data: pinned test/dev splits in, a table of numbers out.

Uses the run-time path (``topics.classify``: model + lexicon + the lead rule, numpy only).  Per set, top-1 accuracy
of ``classify``, of the model alone (no lexicon), and with lexicon-only topics allowed to lead (the rule not taken); expected calibration error of the model's top probability (10 equal-width
bins); CPU µs per item for ``classify`` on already-split words; ``classify`` per language.  Prints a Markdown table.
Run: ``python -m train.topics.evaluate --mirror-root /work/.mirror``.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from pipeline.transforms.enrich.topic_cues import cue_hits
from pipeline.transforms.enrich.topic_model import load_model
from pipeline.transforms.enrich.topics import HALF, classify
from train.topics import data as D
from train.topics.train import ag_gold, ag_gold_strict, ag_sample, tokens


def ece(conf: list[float], right: list[bool], bins: int = 10) -> float:
    conf_a, right_a = np.array(conf), np.array(right, float)
    edges = np.minimum((conf_a * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(conf_a[edges == b].mean() - right_a[edges == b].mean()) * (edges == b).sum()
            for b in set(edges)
        )
        / len(conf_a)
    )


def any_lead(words: list[str], lang: str) -> str:
    """The lead topic if lexicon-only topics were allowed to lead (the rule ``topics.py`` does not follow)."""
    model = load_model()
    p = model.probabilities(words, lang) or {}
    lexicon = {c: h / (h + HALF) for c, h in cue_hits(words, lang).items()}
    backed = dict(p)
    for c, v in lexicon.items():
        if c not in model.local_codes.get(lang, frozenset()):
            backed[c] = max(backed.get(c, 0.0), v)
    return max(backed, key=lambda c: (backed[c], c))


def score(name: str, items: list[D.Item], gold) -> None:
    model = load_model()
    split = [tokens(i.text) for i in items]
    t0 = time.process_time()
    leads = [classify(w, i.lang)[0].code for w, i in zip(split, items, strict=True)]
    us = 1e6 * (time.process_time() - t0) / len(items)
    right, bare, total, free = Counter(), Counter(), Counter(), Counter()
    conf, hit = [], []
    for words, item, lead in zip(split, items, leads, strict=True):
        p = model.probabilities(words, item.lang) or {}
        best = max(p, key=p.get)
        ok = gold(item)
        a = any_lead(words, item.lang)
        for key in (item.lang, "all"):
            total[key] += 1
            right[key] += lead in ok
            bare[key] += best in ok
            free[key] += a in ok
        conf.append(p[best])
        hit.append(best in ok)
    n = total["all"]
    cells = " ".join(f"{k} {right[k] / total[k]:.3f}" for k in sorted(total) if k != "all")
    print(
        f"| {name} | {n} | **{right['all'] / n:.3f}** | {bare['all'] / n:.3f} | {free['all'] / n:.3f}"
        f" | {ece(conf, hit):.3f} | {us:.0f} | {cells} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    root = ap.parse_args().mirror_root
    ag_test = D.ag_test(root)
    print(
        "| set | n | top-1 classify | model alone (no lexicon) | lexicon-only topics may lead"
        " | ECE (model top prob) | µs/item | classify per language |\n|---|---:|---:|---:|---:|---:|---:|---|"
    )
    score("AG News test, 50/class sample", ag_sample(ag_test), ag_gold)
    score("  same, World = politics only", ag_sample(ag_test), ag_gold_strict)
    score("AG News test, all 7,600", ag_test, ag_gold)
    score("SIB-200 test (6 topics)", D.sib(root, "test"), lambda i: {D.SIB_MAP[i.label]})
    score("10kGNAD test (de news, 7 of 9)", D.gnad_test(root), lambda i: {D.GNAD_MAP[i.label]})
    score("MasakhaNEWS dev (en)", D.masakha_dev(root, "en"), lambda i: {D.MASAKHA_MAP[i.label]})
    score("MasakhaNEWS dev (fr)", D.masakha_dev(root, "fr"), lambda i: {D.MASAKHA_MAP[i.label]})


if __name__ == "__main__":
    main()
