"""Do two records report the same event?  Pure scoring over two ``Signature``s, and the per-item cluster decision.

In: the new record's signature and stored ``Entry``s (signature + the cluster it was put in).  Out: a link score
(0 = no link) per candidate, and a ``Decision``: the cluster the record joins and the other clusters it links (a
merge, reported as a notice; emitted records are never rewritten).  Rules (thresholds measured on the SemEval-2022
Task 8 tuning split, see docs/dedup.md):

* outside the time window (publication times more than ``WINDOW_MS`` apart) nothing links;
* same language: Jaccard of the content-word keys >= ``SAME_LANG``, or >= ``SAME_LANG_WEAK`` with >= 2 shared
  numbers; from one outlet (its template text, its beat) only >= ``SAME_OUTLET`` (a shared dateline city, agency or a few shared names are not enough: same-place, same-wire stories on
  different events share them);
* across languages words mostly differ, so the evidence is what survives translation: shared word keys (names,
  places by their language-independent key, cognates) weighted by how rare the word is in its language
  (``WEIGHTS``: "BepiColombo" 1.0, "Trump" 0.25), plus 1.0 per shared number; at least ``CROSS_MIN_SHARED`` of them
  and a weight of ``CROSS_MIN_WEIGHT``.  Dateline city, agency and countries only add strength.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from pipeline.transforms.cluster import signals
from pipeline.transforms.cluster.signals import Signature, shared_counts
from pipeline.transforms.cluster.template import shared_runs

WINDOW_MS = 4 * 24 * 3600 * 1000
SAME_LANG = 0.08
SAME_LANG_WEAK = 0.05  # ... with at least two shared numbers
SAME_OUTLET = 0.15  # same language and same outlet
WEIGHTS = (1.0, 0.7, 0.45, 0.25)  # a shared word by rarity tier (tokens.tier_of: zipf < 3, < 4, < 4.5, more)
CROSS_MIN_SHARED = 3
CROSS_MIN_WEIGHT = 2.75
# The same weights in hundredths: the score sums integers, so equal evidence gives an equal score whatever order the
# shared keys are summed in (a set's order follows its codes; float sums in two orders can differ in the last bit,
# and an exact tie between two clusters would then be broken by that bit rather than by their age and id).
_HUNDREDTHS = (100, 70, 45, 25)
_CROSS_MIN_HUNDREDTHS = 275
assert tuple(h / 100 for h in _HUNDREDTHS) == WEIGHTS and _CROSS_MIN_HUNDREDTHS / 100 == CROSS_MIN_WEIGHT
SAME_STORY = 2.0  # score of a record of the same story: always the best link
# the lowest same-language Jaccard that can link, as a fraction n / d (best_links' integer pre-filter)
_LOWEST = Fraction(min(SAME_LANG, SAME_LANG_WEAK, SAME_OUTLET)).limit_denominator(1000)
assert float(_LOWEST) == min(SAME_LANG, SAME_LANG_WEAK, SAME_OUTLET)
_JACCARD_NUM, _JACCARD_DEN_NUM = _LOWEST.numerator, _LOWEST.denominator + _LOWEST.numerator


def _floor(threshold: float) -> tuple[int, int]:
    """(n, d + n) of ``threshold`` = n / d: a Jaccard shared / (|a| + |b| - shared) is below it exactly when
    (d + n) * shared < n * (|a| + |b|), in integers (best_links' pre-filters)."""
    f = Fraction(threshold).limit_denominator(1000)
    assert float(f) == threshold
    return f.numerator, f.denominator + f.numerator


_STRONG_NUM, _STRONG_DEN_NUM = _floor(SAME_LANG)  # below it a same-language link needs two shared numbers
_OUTLET_NUM, _OUTLET_DEN_NUM = _floor(SAME_OUTLET)  # below it one outlet's two records never link
_FLOORS = (
    _JACCARD_NUM,
    _JACCARD_DEN_NUM,
    _STRONG_NUM,
    _STRONG_DEN_NUM,
    _OUTLET_NUM,
    _OUTLET_DEN_NUM,
    CROSS_MIN_SHARED,
)
DECIDED = (
    3.0  # the record itself, decided before (a replay after a crash): its earlier cluster, above every link
)


@dataclass(frozen=True)
class Entry:
    """A record in the index: its signature and the cluster it belongs to, and when it was last seen."""

    sig: Signature
    cluster_id: str
    seen_ms: int


@dataclass(frozen=True)
class Link:
    score: float
    entry: Entry


@dataclass(frozen=True)
class Decision:
    cluster_id: str
    score: float  # score of the link that decided it (0.0: a new cluster)
    merged: tuple[Link, ...]  # links to other clusters, one per cluster (best first)


def score(a: Signature, b: Signature) -> float:
    """0.0 when ``a`` and ``b`` are not the same event, else a positive strength (higher is surer)."""
    terms = frozenset(a.terms)
    return _score(a, terms, b, len(terms.intersection(b.terms)))


def _tier(sig: Signature, code: int) -> int:
    return sig.tiers[bisect_left(sig.terms, code)]


def _score(a: Signature, a_terms: frozenset[int], b: Signature, inter: int) -> float:
    """``inter``: how many terms ``a`` and ``b`` share (``best_links`` counts them for all candidates at once)."""
    if a.story_id == b.story_id:
        return SAME_STORY
    far = a.published_ms is not None and b.published_ms is not None
    if far and abs(a.published_ms - b.published_ms) > WINDOW_MS:  # type: ignore[operator]
        return 0.0
    same_lang = a.language is None or b.language is None or a.language == b.language
    if not same_lang and inter + len(a.numbers) < CROSS_MIN_SHARED:
        return 0.0  # most cross-language candidates stop here, before any set is built
    if same_lang:
        union = len(a.terms) + len(b.terms) - inter
        j = inter / union if union else 0.0
        # One outlet's stories share its template and its beat; text both print word for word (a consent notice, a
        # paywall) is the outlet's, not the event's: checked only where it could matter, over the threshold.
        if a.outlet is not None and a.outlet == b.outlet:
            if j >= SAME_OUTLET:
                j = _without_template(a_terms, b, shared_runs(a.sequence, b.sequence))
            return j if j >= SAME_OUTLET else 0.0
        if j >= SAME_LANG:
            return j
        return j if j >= SAME_LANG_WEAK and len(a.numbers & b.numbers) >= 2 else 0.0
    # Across languages: shared keys weighted by rarity (the commoner side decides), and shared numbers.
    shared = a_terms.intersection(b.terms)
    shared_numbers = len(a.numbers & b.numbers)
    if len(shared) + shared_numbers < CROSS_MIN_SHARED:
        return 0.0
    weight = 100 * shared_numbers + sum(_HUNDREDTHS[max(_tier(a, c), _tier(b, c))] for c in shared)
    if weight < _CROSS_MIN_HUNDREDTHS:
        return 0.0
    # context that many unrelated stories share (same dateline city, agency, country) only adds strength
    context = (a.city is not None and a.city == b.city) + (a.agency is not None and a.agency == b.agency)
    context += bool(a.countries & b.countries)
    return weight / 1000 + 0.02 * context


def _without_template(a_terms: frozenset[int], b: Signature, template: set[int]) -> float:
    """Jaccard of the two records' keys once the keys of their shared verbatim runs (template.py) are left out."""
    a_kept, b_kept = a_terms - template, frozenset(b.terms) - template
    union = len(a_kept | b_kept)
    return len(a_kept & b_kept) / union if union else 0.0


def best_links(sig: Signature, candidates: Iterable[Entry]) -> list[Link]:
    """Linked candidates, the best per cluster, best first (ties: the older cluster, then its id)."""
    native = signals.NATIVE
    if native is not None:  # the loop below, compiled (_native.pyx)
        found = native.best_per_cluster(sig, candidates, _score, _FLOORS)
        best = {cluster: Link(s, entry) for cluster, (s, entry) in found.items()}
    else:
        best = _best_per_cluster(sig, candidates)
    return sorted(best.values(), key=lambda x: (-x.score, x.entry.seen_ms, x.entry.cluster_id))


def _best_per_cluster(sig: Signature, candidates: Iterable[Entry]) -> dict[str, Link]:
    """The best linked candidate per cluster (``_native.best_per_cluster`` is this loop compiled)."""
    best: dict[str, Link] = {}
    terms = frozenset(sig.terms)
    others = [entry for entry in candidates if entry.sig.item != sig.item]
    their_terms = [entry.sig.terms for entry in others]
    counts = shared_counts(sig.terms, their_terms)
    # Most candidates share too few keys for any rule: a same-language link needs a Jaccard of at least the lowest
    # threshold, shared / (|a| + |b| - shared) >= n / d, i.e. (d + n) * shared >= n * (|a| + |b|) in integers; a
    # cross-language one CROSS_MIN_SHARED keys and numbers.  Those are passed over without a call (_score gives
    # them 0.0: the same decisions).
    own, floor, lang, story = len(sig.terms), CROSS_MIN_SHARED - len(sig.numbers), sig.language, sig.story_id
    outlet, few_numbers = sig.outlet, len(sig.numbers) < 2
    for entry, inter, theirs in zip(others, counts, map(len, their_terms), strict=True):
        b = entry.sig
        if b.story_id != story:
            if lang is None or b.language is None or b.language == lang:
                if _JACCARD_DEN_NUM * inter < _JACCARD_NUM * (own + theirs):
                    continue
                # below SAME_LANG only two shared numbers link, never from one outlet; one outlet needs SAME_OUTLET
                if _STRONG_DEN_NUM * inter < _STRONG_NUM * (own + theirs) and (
                    few_numbers or len(b.numbers) < 2 or (outlet is not None and b.outlet == outlet)
                ):
                    continue
                if (
                    outlet is not None
                    and b.outlet == outlet
                    and _OUTLET_DEN_NUM * inter < _OUTLET_NUM * (own + theirs)
                ):
                    continue
            elif inter < floor:
                continue
        s = _score(sig, terms, b, inter)
        if s <= 0.0:
            continue
        prev = best.get(entry.cluster_id)
        if prev is None or s > prev.score:
            best[entry.cluster_id] = Link(s, entry)
    return best


def decide(sig: Signature, links: list[Link]) -> Decision:
    """Join the best linked cluster (a new one named by the record's story_id if none); report the others."""
    if not links:
        return Decision(sig.story_id, 0.0, ())
    top = links[0]
    if (
        top.score >= DECIDED
    ):  # a replay keeps its cluster and reports no merge (they were reported the first time)
        return Decision(top.entry.cluster_id, top.score, ())
    return Decision(top.entry.cluster_id, top.score, tuple(links[1:]))
