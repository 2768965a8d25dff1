"""The cluster stage's shortcuts give what the plain rules give: candidates passed over without scoring, numbers
read per token."""

from __future__ import annotations

import random
import re
from array import array

import pytest

from pipeline.transforms.cluster import signals
from pipeline.transforms.cluster.link import (
    CROSS_MIN_SHARED,
    SAME_LANG,
    SAME_LANG_WEAK,
    SAME_OUTLET,
    Entry,
    Link,
    best_links,
    score,
)
from pipeline.transforms.cluster.signals import Signature
from pipeline.transforms.cluster.tokens import tokens


def plain_best_links(sig: Signature, candidates: list[Entry]) -> list[Link]:
    """best_links by its definition: every other candidate scored with link.score, the best per cluster."""
    best: dict[str, Link] = {}
    for entry in candidates:
        if entry.sig.item == sig.item:
            continue
        s = score(sig, entry.sig)
        if s > 0.0 and (entry.cluster_id not in best or s > best[entry.cluster_id].score):
            best[entry.cluster_id] = Link(s, entry)
    return sorted(best.values(), key=lambda x: (-x.score, x.entry.seen_ms, x.entry.cluster_id))


@pytest.fixture(params=["compiled", "python"])
def loops(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """best_links through the compiled loop (_native.pyx) and through the Python one."""
    if request.param == "python":
        monkeypatch.setattr(signals, "NATIVE", None)
    else:
        assert signals.NATIVE is not None  # (test_native.py says why when it is not built)
    return request.param


def test_candidates_passed_over_are_those_score_rejects(loops: str) -> None:
    """Overlaps around every threshold (SAME_LANG_WEAK with shared numbers, SAME_LANG, SAME_OUTLET, the cross-language
    minimum), with and without languages, outlets, numbers and shared stories."""
    rng = random.Random(11)
    assert min(SAME_LANG, SAME_LANG_WEAK, SAME_OUTLET) > 0 and CROSS_MIN_SHARED > 0
    pool = list(range(1, 4000))

    def make(item: str, codes: set[int], lang: str | None, numbers: set[str], outlet: str | None, story: str):
        terms = array("H", sorted(codes))
        tiers = bytes(rng.choice([0, 0, 1, 2, 3]) for _ in terms)
        return Signature(
            item, story, lang, 0, terms, tiers, frozenset(numbers), frozenset(), None, None, outlet, (), terms
        )

    linked = passed = 0
    for round_ in range(400):
        own_codes = set(rng.sample(pool, rng.choice([3, 10, 40, 96])))
        langs = ["en", "en", "fr", None]
        outlets = [None, "x.com", "y.com"]
        numbers = [set(), {"150"}, {"150", "2500"}, {"150", "2500", "999"}]
        sig = make(
            "new", own_codes, rng.choice(langs), rng.choice(numbers), rng.choice(outlets), f"s{round_}"
        )
        candidates = []
        for k in range(rng.randint(1, 25)):
            share = rng.randint(0, len(own_codes))
            codes = set(rng.sample(sorted(own_codes), share)) | set(
                rng.sample(pool, rng.choice([0, 5, 30, 90]))
            )
            story = sig.story_id if rng.random() < 0.05 else f"t{round_}-{k}"
            other = make(f"c{k}", codes, rng.choice(langs), rng.choice(numbers), rng.choice(outlets), story)
            candidates.append(Entry(other, f"cl{k % 7}", k))
        want = plain_best_links(sig, candidates)
        assert best_links(sig, candidates) == want
        linked += len(want)
        passed += sum(1 for e in candidates if score(sig, e.sig) == 0.0)
    assert linked > 300 and passed > 1000  # both kinds of candidate were there


def test_overlaps_exactly_at_each_threshold_are_scored(loops: str) -> None:
    """A Jaccard exactly at SAME_LANG_WEAK (with two shared numbers), SAME_LANG (without) and SAME_OUTLET links: the
    integer pre-filters must not pass over what sits on a threshold."""

    def sig(item: str, codes: range, outlet: str | None, numbers: frozenset[str]) -> Signature:
        terms = array("H", codes)
        return Signature(
            item, item, "en", 0, terms, bytes(len(terms)), numbers, frozenset(), None, None, outlet, (), terms
        )

    two = frozenset({"150", "2500"})
    for threshold, outlet, numbers in (
        (SAME_LANG_WEAK, None, two),
        (SAME_LANG, None, frozenset()),
        (SAME_OUTLET, "x.com", two),
    ):
        # shared / (2 * size - shared) == threshold: size = shared * (1 + threshold) / (2 * threshold)
        shared = next(k for k in range(1, 60) if (k * (1 + threshold) / (2 * threshold)).is_integer())
        size = round(shared * (1 + threshold) / (2 * threshold))
        a = sig("a", range(1, size + 1), outlet, numbers)
        b = sig("b", range(size - shared + 1, 2 * size - shared + 1), outlet, numbers)
        assert score(a, b) == pytest.approx(threshold) and score(a, b) > 0.0
        links = best_links(a, [Entry(b, "cluster-b", 0)])
        assert [(link.entry.cluster_id, link.score) for link in links] == [("cluster-b", score(a, b))], (
            threshold
        )


def plain_numbers(text: str) -> frozenset[str]:
    """The numbers of a text by one regex over its words (as tokens() splits them) joined by spaces: separators
    dropped, years and short numbers out."""
    words = " ".join(text.replace("-", " ").replace("/", " ").split())
    found = [
        m.translate(str.maketrans("", "", ".,")).lstrip("0") for m in re.findall(r"\d(?:[\d.,]*\d)?", words)
    ]
    return frozenset(x for x in found if len(x) >= 3 and not (len(x) == 4 and x[:2] in ("19", "20")))


def test_a_texts_numbers_are_read_from_its_tokens() -> None:
    texts = [
        "Profits rose to 20,000 dlrs from 1.234.567 in 2019, up 15 pct; 1990s and 2020-2021 are years.",
        "Il a payé 12\u00a0500 euros (contre 0450 l'an dernier), soit 3,5 % de plus, le 12/03/2022.",
        "Code A-3400/B7 and 007 and 99,9 and ...1234... and x86 and 300km and 1,000,000.",
        "No numbers here at all.",
        "",
    ]
    for text in texts:
        assert tokens(text, "en")[3] == plain_numbers(text), text
    assert tokens(texts[0], "en")[3] == {"20000", "1234567"}


def test_a_signature_that_crossed_a_process_boundary_shares_its_strings_again() -> None:
    """An enrich worker, a restore helper and keyed state send signatures pickled: unpickling shares the outlet and
    blocking keys with every other record's (one copy per key in a large index), and a signature pickled before
    ``sequence`` existed reads as empty there."""
    import pickle

    from pipeline.transforms.cluster.signals import signature

    sig = signature(
        "v1",
        "story-1",
        "Poutine en Biélorussie",
        "Le président russe Vladimir Poutine se rend à Minsk pour rencontrer Alexandre Loukachenko.",
        "fr",
        1_670_000_000_000,
        ("Vladimir Poutine",),
        ("BY", "RU"),
        "Kyiv",
        "Reuters",
        "reuters.com",
    )
    back = pickle.loads(pickle.dumps(sig))
    assert back == sig and back.blocks and back.outlet
    assert all(a is b for a, b in zip(back.blocks, sig.blocks, strict=True))
    assert back.outlet is sig.outlet
    state = dict(vars(sig))
    del state["sequence"]
    old = Signature.__new__(Signature)
    old.__setstate__(state)
    assert old.sequence == () and old.terms == sig.terms
