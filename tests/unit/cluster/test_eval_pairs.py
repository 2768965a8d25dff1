"""The evaluation as a test: P/R of "same cluster" on the shipped labelled pairs (tests/fixtures/cluster/README.md).

SemEval-2022 Task 8 training pairs, cased and with digits: thresholds were chosen on the ``tune`` split; the
``heldout`` split is checked here.  Authored seed variants (the seed story and a same-topic Kyiv power story in
en/fr/de/es/it/pl/pt) were written after the first thresholds were fixed.  Every pair is decided through the real
index after the real enricher (NER off), as the pipeline decides records (``evaluate.same_cluster``).
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from pipeline.transforms.cluster.evaluate import Score, evaluate, load_pairs, table
from pipeline.transforms.cluster.index import ClusterIndex
from tests.support import Clock
from tests.unit.cluster import eval_data
from tests.unit.cluster.records import enriched

PAIRS = eval_data.SEMEVAL  # built by `make cluster-eval-data` (texts not committed)
needs_pairs = pytest.mark.skipif(not PAIRS.exists(), reason=eval_data.MISSING)
LANGS = ("en", "fr", "de", "es", "it", "pl", "pt")


@cache
def heldout() -> dict[str, Score]:
    return evaluate(p for p in load_pairs(PAIRS) if p.split == "heldout")


@needs_pairs
def test_heldout_semeval_pairs_within_a_language() -> None:
    """The goal (P >= 0.90, R >= 0.60) is met: 0.940 / 0.750 measured (docs/dedup.md); recall guarded at 0.70."""
    got = heldout()
    print(table({"heldout": got}))
    same = got["same-language"]
    assert same.tp + same.fn >= 100, "the held-out split lost its same-event pairs"
    assert same.precision >= 0.90 and same.recall >= 0.70, table({"heldout": got})


@needs_pairs
def test_heldout_semeval_pairs_across_languages() -> None:
    """Recall meets the goal on 8 same-event de/en pairs (6 found: 0.75); precision does NOT (3 of 47 unrelated pairs
    linked: 0.67, goal 0.90; docs/dedup.md).  Guarded at what was measured."""
    got = heldout()["cross-language"]
    assert got.tp + got.fn >= 8 and got.fp + got.tn >= 40
    assert got.recall >= 0.70 and got.precision >= 0.65, got


def test_seed_variants_cluster_by_event_in_every_language() -> None:
    records = {f"{story}-{lang}": enriched(f"{story}-{lang}") for story in ("seed", "kyiv") for lang in LANGS}
    scores = {"same-language": Score(), "cross-language": Score()}
    for a, b in itertools.permutations(records, 2):
        index = ClusterIndex(clock=Clock(1_671_408_000.0))
        first, _ = index.offer(records[a])
        second, _ = index.offer(records[b])
        group = "same-language" if a[-2:] == b[-2:] else "cross-language"
        truth = a.split("-")[0] == b.split("-")[0]
        scores[group] = scores[group].add(truth, first.cluster_id == second.cluster_id)
    print(table({"variants": scores}))
    cross = scores["cross-language"]
    assert cross.tp + cross.fn == 2 * 2 * 21 and scores["same-language"].tp + scores["same-language"].fn == 0
    assert cross.precision >= 0.90 and cross.recall >= 0.60, table({"variants": scores})
    assert scores["same-language"].fp == 0  # seed vs Kyiv power story in one language: never one cluster
