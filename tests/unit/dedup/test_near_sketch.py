"""A near-duplicate sketch computed where the dispatch was normalized (a stage pool worker) gives the same dedup
decisions as the one dedup computes itself; a sketch of another body is not used; the kept dispatch drops it."""

from __future__ import annotations

import pickle

from pipeline.model import Dispatch
from pipeline.transforms.dedup import near
from pipeline.transforms.dedup.local import LocalDeduplicator
from tests.unit.dedup.labeled import apply, load_cases

NOW = 1_700_000_000.0


def _decisions(pairs: list[tuple[Dispatch, Dispatch]]) -> list[object]:
    out = []
    for a, b in pairs:
        dd = LocalDeduplicator(clock=lambda: NOW)
        out.append((dd.offer(a), dd.offer(b)))
    return out


def _sketched(d: Dispatch) -> Dispatch:
    # as a worker sends it: computed there, pickled across the process boundary
    return pickle.loads(pickle.dumps(d.replace(near_sketch=near.near_sketch(d.body))))


def test_sketched_dispatches_get_the_same_decisions_on_the_labelled_cases() -> None:
    pairs = [(apply(c["a"], c["case"]), apply(c["b"], c["case"])) for c in load_cases()]
    assert len(pairs) > 50
    plain = _decisions(pairs)
    sketched = _decisions([(_sketched(a), _sketched(b)) for a, b in pairs])
    assert sketched == plain
    kept = [x for pair in sketched for x in pair if isinstance(x, Dispatch)]
    assert kept and all(d.near_sketch is None for d in kept)  # not carried on to enrich


def test_the_sketch_decides_and_one_of_another_body_is_not_used(monkeypatch) -> None:
    case = next(c for c in load_cases() if c["label"] == "duplicate")
    a, b = apply(case["a"], case["case"]), apply(case["b"], case["case"])
    sa, sb = _sketched(a), _sketched(b)
    stale = b.replace(near_sketch=near.near_sketch(b.body + " and more words here"))
    calls: list[str] = []
    real = near.near_sketch
    monkeypatch.setattr(near, "near_sketch", lambda body: calls.append(body) or real(body))
    _decisions([(sa, sb)])
    assert calls == []  # the carried sketches were used, nothing shingled again
    assert near.sketch_of(stale) != stale.near_sketch
    calls.clear()
    _decisions([(sa, stale)])
    assert calls == [b.body]
