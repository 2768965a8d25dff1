"""Precision/recall of near-duplicate and revision detection on the labeled cases in tests/fixtures/dedup."""

from __future__ import annotations

import pytest

from tests.unit.dedup.labeled import FIXTURE, SGM, evaluate, precision_recall

SAME_STORY = {"duplicate", "revision", "refeed"}


@pytest.fixture(scope="module")
def results():
    assert FIXTURE.exists()
    return evaluate()


def test_corpus_is_present() -> None:
    assert SGM.exists(), f"../shared/corpora not found at {SGM}"


def test_near_duplicates_meet_the_goal(results) -> None:
    text_reuse = [r for r in results if r.group != "gnews-cluster"]
    p, r, n = precision_recall(text_reuse, {"duplicate"}, {"duplicate"})
    print(f"near-duplicates: P={p:.3f} R={r:.3f} (n={n})")
    assert p >= 0.98 and r >= 0.95


def test_revisions_and_same_story(results) -> None:
    text_reuse = [r for r in results if r.group != "gnews-cluster"]
    p, r, n = precision_recall(text_reuse, {"revision"}, {"revision"})
    print(f"revisions: P={p:.3f} R={r:.3f} (n={n})")
    assert p >= 0.98 and r >= 0.95
    p, r, _ = precision_recall(text_reuse, SAME_STORY, SAME_STORY)
    assert p >= 0.98 and r >= 0.95


def test_hard_negatives_stay_apart(results) -> None:
    negatives = [r for r in results if r.label == "distinct"]
    assert len(negatives) >= 80
    assert all(r.predicted == "distinct" for r in negatives)


def test_rewritten_headlines_without_shared_text_are_not_text_duplicates(results) -> None:
    """The Google News cluster shares a story, not words: text reuse detection does not (and should not) join it."""
    cluster = [r for r in results if r.group == "gnews-cluster"]
    assert cluster and all(r.predicted == "distinct" for r in cluster)
