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


def same_cluster(p: Pair, now_s: float = 1_700_000_000.0) -> bool:
    index = ClusterIndex(clock=lambda: now_s)
    a, _ = index.offer(record(f"{p.pair}:1", p.headline1, p.text1, p.lang1, p.published1_ms, p.outlet1))
    b, _ = index.offer(record(f"{p.pair}:2", p.headline2, p.text2, p.lang2, p.published2_ms, p.outlet2))
    return a.cluster_id == b.cluster_id


def evaluate(pairs: Iterable[Pair]) -> dict[str, Score]:
    out: dict[str, Score] = {}
    for p in pairs:
        out[p.group] = out.get(p.group, Score()).add(p.label == "same", same_cluster(p))
    return out


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


def evaluate_stream(pairs: Iterable[Pair]) -> dict[str, Score]:
    """Every article of ``pairs`` offered to one index in order of publication (ties by key), its clock at each one's
    publication time, as a feed brings them; then per pair, whether the two articles were given one cluster id.
    Unlike ``same_cluster``, a chain of links through other articles can join two events, and a link found after a
    record was emitted does not change its id (a merge notice), as in the pipeline."""
    pairs = list(pairs)
    articles: dict[str, tuple[str, str, str, int, str | None]] = {}
    for p in pairs:
        if p.published1_ms is None or p.published2_ms is None:
            raise ValueError(f"{p.pair}: a stream needs publication times")
        a, b = sides(p)
        articles.setdefault(a, (p.headline1, p.text1, p.lang1, p.published1_ms, p.outlet1))
        articles.setdefault(b, (p.headline2, p.text2, p.lang2, p.published2_ms, p.outlet2))
    now = [0.0]
    index = ClusterIndex(clock=lambda: now[0])
    cluster = {}
    for key in sorted(articles, key=lambda k: (articles[k][3], k)):
        headline, text, lang, published_ms, outlet = articles[key]
        now[0] = published_ms / 1000
        out, _ = index.offer(record(key, headline, text, lang, published_ms, outlet))
        cluster[key] = out.cluster_id
    scores: dict[str, Score] = {}
    for p in pairs:
        a, b = sides(p)
        scores[p.group] = scores.get(p.group, Score()).add(p.label == "same", cluster[a] == cluster[b])
    return scores


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
