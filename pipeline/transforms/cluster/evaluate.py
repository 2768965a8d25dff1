"""Precision and recall of "same cluster" on labelled article pairs, through the real index (blocking included).

In: ``Pair``s (two texts, their languages, a same-event / unrelated label).  Out: per group (same-language,
cross-language) the counts and P/R of "the second record joined the first one's cluster", each pair decided in a
fresh ``ClusterIndex`` exactly as the pipeline decides records (signature -> blocks -> links -> decision); or
(``evaluate_stream``) whether two articles were given one cluster id when all of them went through one index in order
of publication.
Used by the evaluation test (tests/unit/cluster/test_eval_pairs.py) and bench/bench_cluster.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.model import Dispatch, EnrichedDispatch, Timestamp
from pipeline.transforms.cluster.index import ClusterIndex
from pipeline.transforms.cluster.signals import Signature, of_enriched
from pipeline.transforms.enrich.stage import shared_enricher


@dataclass(frozen=True)
class Pair:
    pair: str
    split: str  # "tune" (thresholds were chosen on it) or "heldout" (never looked at while tuning)
    label: str  # "same" | "unrelated"
    lang1: str
    lang2: str
    text1: str
    text2: str
    headline1: str = ""
    headline2: str = ""
    published1_ms: int | None = None
    published2_ms: int | None = None
    overall: float | None = None
    outlet1: str | None = (
        None  # where each side was published (the same-outlet rule applies when they are equal)
    )
    outlet2: str | None = None  # the source's score (SemEval: 1 = very similar .. 4 = very dissimilar)

    @property
    def group(self) -> str:
        return "same-language" if self.lang1 == self.lang2 else "cross-language"


@dataclass(frozen=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add(self, truth: bool, said: bool) -> Score:
        return Score(
            self.tp + (truth and said),
            self.fp + (not truth and said),
            self.fn + (truth and not said),
            self.tn + (not truth and not said),
        )


def load_pairs(path: Path) -> list[Pair]:
    with path.open(encoding="utf-8") as f:
        return [Pair(**json.loads(line)) for line in f if line.strip()]


def undated(p: Pair) -> Pair:
    """``p`` without publication times: the time window cannot apply (a feed that gives no dates)."""
    return replace(p, published1_ms=None, published2_ms=None)


def record(
    item: str, headline: str, body: str, lang: str, published_ms: int | None, outlet: str | None = None
) -> EnrichedDispatch:
    """The text as the pipeline would see it after enrich (NER off: language, countries, places, keywords)."""
    d = Dispatch(
        id=item,
        uri=None,
        guid=None,
        headline=headline,
        body=body,
        feed_url=f"eval:{item}",
        outlet=outlet,
        story_id=item,
        published=Timestamp(published_ms) if published_ms is not None else None,
        language_hint=lang,
    )
    return EnrichedDispatch(d, shared_enricher(None, False).enrich_one(d))


NOW_S = 1_700_000_000.0  # the index's clock when pairs are decided one by one


def signature_of(
    item: str, headline: str, text: str, lang: str, published_ms: int | None, outlet: str | None
) -> Signature:
    """The cluster signature the pipeline gives this text (enriched with NER off, then ``of_enriched``)."""
    return of_enriched(record(item, headline, text, lang, published_ms, outlet))


def side_signature(p: Pair, side: int, key: str) -> Signature:
    """The signature of ``p``'s first (``side`` 1) or second article, under the id ``key``."""
    if side == 1:
        return signature_of(key, p.headline1, p.text1, p.lang1, p.published1_ms, p.outlet1)
    return signature_of(key, p.headline2, p.text2, p.lang2, p.published2_ms, p.outlet2)


def pair_signatures(p: Pair, keys: tuple[str, str] | None = None) -> tuple[Signature, Signature]:
    a, b = keys or (f"{p.pair}:1", f"{p.pair}:2")
    return side_signature(p, 1, a), side_signature(p, 2, b)


def linked(a: Signature, b: Signature, now_s: float = NOW_S) -> bool:
    """Whether ``b`` joins ``a``'s cluster when ``a`` was offered first to a fresh index (``ClusterIndex.place``, as
    ``offer`` places a record)."""
    index, now_ms = ClusterIndex(clock=lambda: now_s), int(now_s * 1000)
    return index.place(a, now_ms).cluster_id == index.place(b, now_ms).cluster_id


def same_cluster(p: Pair, now_s: float = NOW_S) -> bool:
    return linked(*pair_signatures(p), now_s=now_s)


def tally(decided: Iterable[tuple[str, bool, bool]]) -> dict[str, Score]:
    """(group, truly the same event, put in one cluster) -> counts per group."""
    out: dict[str, Score] = {}
    for group, truth, said in decided:
        out[group] = out.get(group, Score()).add(truth, said)
    return out


def evaluate(pairs: Iterable[Pair]) -> dict[str, Score]:
    return tally((p.group, p.label == "same", same_cluster(p)) for p in pairs)


def sides(p: Pair) -> tuple[str, str]:
    """The two articles of ``p`` as keys: ``semeval:<id1>_<id2>``; ``wmt09:<doc>[|<doc2>]:<l1>-<l2>`` (a document in
    one language is one article)."""
    source, rest = p.pair.split(":", 1)
    if source == "semeval":
        a, b = rest.split("_")
        return f"{source}:{a}", f"{source}:{b}"
    docs = rest.rsplit(":", 1)[0]
    d1, _, d2 = docs.partition("|")
    return f"{source}:{d1}:{p.lang1}", f"{source}:{d2 or d1}:{p.lang2}"


def article_signatures(pairs: Iterable[Pair]) -> dict[str, Signature]:
    """Each article of ``pairs`` once (``sides``), its signature keyed by the article."""
    out: dict[str, Signature] = {}
    for p in pairs:
        for side, key in enumerate(sides(p), 1):
            if key not in out:
                out[key] = side_signature(p, side, key)
    return out


def stream_clusters(signatures: Iterable[Signature]) -> dict[str, str]:
    """Article -> the cluster id it was given, every signature offered to one index in order of publication (ties by
    key), the index's clock at each one's publication time, as a feed brings them."""
    signatures = list(signatures)
    undated_ = [s.item for s in signatures if s.published_ms is None]
    if undated_:
        raise ValueError(f"{undated_[0]}: a stream needs publication times")
    index, out = ClusterIndex(clock=lambda: 0.0), {}
    for sig in sorted(signatures, key=lambda s: (s.published_ms or 0, s.item)):
        out[sig.item] = index.place(sig, sig.published_ms or 0).cluster_id
    return out


def evaluate_stream(pairs: Iterable[Pair]) -> dict[str, Score]:
    """Every article of ``pairs`` through one index as a feed brings them (``stream_clusters``); then per pair,
    whether its two articles were given one cluster id.  Unlike ``same_cluster``, a chain of links through other
    articles can join two events, and a link found after a record was emitted does not change its id (a merge
    notice), as in the pipeline."""
    pairs = list(pairs)
    cluster = stream_clusters(article_signatures(pairs).values())
    keyed = ((p, *sides(p)) for p in pairs)
    return tally((p.group, p.label == "same", cluster[a] == cluster[b]) for p, a, b in keyed)


def table(results: dict[str, dict[str, Score]]) -> str:
    lines = [
        f"{'split':<20} {'pairs':<15} {'n':>4} {'same':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>6} {'R':>6}"
    ]
    for split, groups in results.items():
        for group, s in sorted(groups.items(), reverse=True):
            n = s.tp + s.fp + s.fn + s.tn
            lines.append(
                f"{split:<20} {group:<15} {n:>4} {s.tp + s.fn:>5} {s.tp:>4} {s.fp:>4} {s.fn:>4} "
                f"{s.precision:>6.3f} {s.recall:>6.3f}"
            )
    return "\n".join(lines)
