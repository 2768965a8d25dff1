"""Cross-language P/R of "same cluster" on WMT09 newstest2009 articles (tests/fixtures/cluster/README.md).

Pairs of one news article in two of en/de/fr/es/it (professional translations of one article: an easier case than
independent outlets reporting one event) against two different articles of the same two weeks.  Split by document;
no threshold was chosen on this fixture (built after the linking rules, evaluated once as they were at 6b10114).

Measured on the held-out split (321 pairs, 107 same): P 0.990 (100 TP, 1 FP), R 0.935 (7 missed); the tune split
(144 pairs, 48 same): P 1.000, R 0.875.  The goal (P >= 0.90, R >= 0.60) is met on this set, which says nothing of
independent outlets in other languages (no pl/pt here).  Guarded at what was measured.
"""

from __future__ import annotations

import itertools
from collections import Counter
from functools import cache

import pytest

from pipeline.transforms.cluster.evaluate import Pair, Score, evaluate, evaluate_stream, load_pairs, table
from tests.unit.cluster import eval_data

PAIRS = eval_data.CROSSLANG  # built by `make cluster-eval-data` (texts not committed)
pytestmark = pytest.mark.skipif(not PAIRS.exists(), reason=eval_data.MISSING)
LANG_PAIRS = {"-".join(p) for p in itertools.combinations(("de", "en", "es", "fr", "it"), 2)}


def _lang_pair(p: Pair) -> str:
    return "-".join(sorted((p.lang1, p.lang2)))


def _documents(p: Pair) -> set[str]:
    return set(p.pair.removeprefix("wmt09:").rsplit(":", 1)[0].split("|"))


@cache
def pairs() -> tuple[Pair, ...]:
    return tuple(load_pairs(PAIRS))


@cache
def heldout() -> dict[str, Score]:
    return evaluate(p for p in pairs() if p.split == "heldout")


def test_crosslang_fixture_counts_and_split_by_document() -> None:
    held = [p for p in pairs() if p.split == "heldout"]
    same = Counter(_lang_pair(p) for p in held if p.label == "same")
    assert all(p.lang1 != p.lang2 for p in pairs())
    assert sum(same.values()) >= 107 and sum(p.label == "unrelated" for p in held) >= 214
    assert set(same) == LANG_PAIRS and min(same.values()) >= 9, same
    tune_docs = set().union(*(_documents(p) for p in pairs() if p.split == "tune"))
    assert not tune_docs & set().union(*(_documents(p) for p in held))


def test_heldout_crosslang_pairs() -> None:
    """Goal met: P 0.990, R 0.935 measured (goal P >= 0.90, R >= 0.60); guarded at the measured level."""
    got = heldout()
    print(table({"heldout": got}))
    cross = got["cross-language"]
    assert cross.tp + cross.fn >= 107 and cross.fp + cross.tn >= 214
    assert cross.precision >= 0.98 and cross.recall >= 0.92, table({"heldout": got})


def test_heldout_crosslang_articles_as_one_stream() -> None:
    """Every held-out article through one index in publication order (evaluate_stream): a chain through other
    articles could join two documents, and a link found late never changes an emitted id.  Measured P 0.990 (101 TP,
    1 FP), R 0.944 (a document's other translations carry some links the pair alone misses); guarded there."""
    got = evaluate_stream(p for p in pairs() if p.split == "heldout")["cross-language"]
    assert got.tp + got.fn >= 107 and got.fp + got.tn >= 214
    assert got.precision >= 0.98 and got.recall >= 0.92, got
