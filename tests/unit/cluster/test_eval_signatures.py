"""The cluster evaluation on the committed anonymised signatures (eval_signatures.py): it runs on every clone.

The same pairs, splits and thresholds as test_eval_pairs.py and test_eval_crosslang.py, which need the texts built;
here every decision is made from each article's signature with its words made unreadable (codes permuted, strings
hashed), which decides exactly as the real one (checked below on the authored variants everywhere, and on every
labelled pair where the texts are built).  Measured (docs/dedup.md): SemEval held-out, each pair in a fresh index,
same-language 74/1/30 (P 0.987, R 0.712), cross-language 5/0/3 (P 1.000, R 0.625); as one stream 75/1/29 and 4/0/4;
WMT09 held-out 100/1/7 (P 0.990, R 0.935), as one stream 101/1/6.  Guarded at those levels.
"""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from pipeline.transforms.cluster.evaluate import (
    Score,
    linked,
    load_pairs,
    pair_signatures,
    same_cluster,
    sides,
    table,
)
from pipeline.transforms.cluster.signals import Signature, of_enriched
from tests.unit.cluster import eval_data, eval_signatures
from tests.unit.cluster.eval_signatures import Labelled, _Opaque, load
from tests.unit.cluster.records import enriched

needs_texts = pytest.mark.skipif(
    not (eval_data.SEMEVAL.exists() and eval_data.CROSSLANG.exists()), reason=eval_data.MISSING
)


@cache
def shipped() -> tuple[dict[str, Signature], tuple[Labelled, ...]]:
    sigs, labelled = load()
    return sigs, tuple(labelled)


def _heldout(source: str) -> list[Labelled]:
    return [x for x in shipped()[1] if x.source == source and x.split == "heldout"]


def _check(got: dict[str, Score], same: tuple[float, float] | None, cross: tuple[float, float]) -> None:
    shown = table({"shipped": got})
    print(shown)
    if same is not None:
        s = got["same-language"]
        assert s.tp + s.fn >= 100 and s.precision >= same[0] and s.recall >= same[1], shown
    c = got["cross-language"]
    assert c.tp + c.fn >= 8 and c.fp + c.tn >= 40 and c.precision >= cross[0] and c.recall >= cross[1], shown


def test_the_shipped_file_holds_both_sources() -> None:
    sigs, labelled = shipped()
    counts = {(x.source, x.split) for x in labelled}
    assert counts == {("semeval", "tune"), ("semeval", "heldout"), ("wmt09", "tune"), ("wmt09", "heldout")}
    assert len(labelled) == 699 + 465 and all(x.a in sigs and x.b in sigs for x in labelled)
    assert all(s.published_ms for s in sigs.values())


def test_semeval_heldout_pairs() -> None:
    sigs = shipped()[0]
    _check(eval_signatures.evaluate(sigs, _heldout("semeval")), same=(0.90, 0.70), cross=(0.90, 0.60))


def test_semeval_heldout_as_one_stream() -> None:
    """Cross-language recall 0.500 in this view (4 of 8): below the goal's 0.60, guarded at what was measured."""
    sigs = shipped()[0]
    _check(eval_signatures.evaluate_stream(sigs, _heldout("semeval")), same=(0.90, 0.70), cross=(0.90, 0.50))


def test_wmt09_heldout_pairs_and_stream() -> None:
    sigs = shipped()[0]
    for got in (
        eval_signatures.evaluate(sigs, _heldout("wmt09")),
        eval_signatures.evaluate_stream(sigs, _heldout("wmt09")),
    ):
        _check(got, same=None, cross=(0.98, 0.92))
        assert got["cross-language"].tp + got["cross-language"].fn >= 107


def test_anonymised_signatures_decide_as_the_real_ones_on_the_variants() -> None:
    """Runs everywhere: the authored variants (seed and Kyiv stories, 7 languages each) are in the repository."""
    names = [
        f"{story}-{lang}" for story in ("seed", "kyiv") for lang in ("en", "fr", "de", "es", "it", "pl", "pt")
    ]
    real = {n: of_enriched(enriched(n)) for n in names}
    opaque = _Opaque(b"a test key")
    anonymised = {n: eval_signatures.signature(opaque.signature(s)) for n, s in real.items()}
    assert all(anonymised[n].terms != real[n].terms for n in names)  # the codes did change
    decided = [
        (linked(real[a], real[b]), linked(anonymised[a], anonymised[b]))
        for a, b in itertools.permutations(names, 2)
    ]
    assert sum(r for r, _ in decided) == 84  # every cross-language pair of one story linked, nothing else
    assert all(r == o for r, o in decided)


@needs_texts
def test_the_shipped_file_is_current() -> None:
    """Rebuilt from the texts it is the same, byte for byte: the signatures, their anonymisation and the pairs."""
    data = eval_signatures.encode(
        {"semeval": load_pairs(eval_data.SEMEVAL), "wmt09": load_pairs(eval_data.CROSSLANG)}
    )
    assert data == eval_signatures.SIGNATURES.read_bytes(), (
        "stale: run `make cluster-eval-data` and commit the file"
    )


@needs_texts
def test_shipped_decisions_are_the_texts_decisions() -> None:
    """Every labelled pair: decided from the texts (``same_cluster``), from the real signatures of its articles and
    from the shipped ones, the same answer."""
    sigs = shipped()[0]
    for source, path in (("semeval", eval_data.SEMEVAL), ("wmt09", eval_data.CROSSLANG)):
        for p in load_pairs(path):
            a, b = sides(p)
            real = linked(*pair_signatures(p, (a, b)))
            assert same_cluster(p) == real == linked(sigs[a], sigs[b]), (source, p.pair)
