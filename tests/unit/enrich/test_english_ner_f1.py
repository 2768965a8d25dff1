"""English NER measured against gold sets: entity-level precision/recall/F1 for PER, LOC and ORG.

Gold: (1) ``uner_en_pud_news.iob2``, the news half of Universal NER's English-PUD set (215 documents, 500 sentences,
395 PER/LOC/ORG mentions; public gold annotations, text CC BY-SA 3.0; see its header) -- the public news gold set;
(2) ``news_ner_gold.txt``, 25 news item summaries (The Guardian's RSS feed as shipped in the MIT-licensed rss-parser
test fixtures), hand-annotated for this project before any model output was seen (guidelines in the fixture header);
(3) the first three documents of WikiGold (CC-BY 4.0, encyclopedic text; see its header).  CoNLL-2003's Reuters text
cannot be shipped in a repository.  A mention counts when its span and type both match exactly.  MISC is not scored
(the OntoNotes-trained English model has no MISC class; NORP/EVENT/... map to it loosely).  Scored after the stage's
post-processing, per mention (punctuation/article/honorific stripping, junk removal, evidence-based retyping, name
fragments typed as the full name, one type per entity by vote) and, for comparison, on the raw model output.

The issue's goal is F1 >= 0.80 on public news gold.  Measured on UNER news: raw model 0.561, after post-processing
0.634 -- the goal is not met; the assertions below are regression floors under the measured values, not the goal.
Every English model installable from the registry was measured on this set (``bench/bench_en_ner_models.py``):
0.56-0.60 raw.  See docs/enrich.md.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.transforms.enrich import Enricher
from pipeline.transforms.enrich.models import MODELS

from .conftest import FIXTURES
from .ner_scoring import SCORED, load_uner, predict_spans, score

THRESHOLD = 0.60  # WikiGold: measured 0.623 (docs/enrich.md)
UNER_FLOOR = (
    0.62  # UNER English-PUD news: measured 0.634 after post-processing (raw model 0.561); goal 0.80 not met
)
NEWS_THRESHOLD = 0.80  # the goal, on news text
MARKUP = re.compile(r"\[([^\[\]|]+)\|(PER|LOC|ORG|MISC)\]")


def load_gold(path=FIXTURES / "wikigold_sample.txt") -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Documents as (text, {(start, end, TYPE)}): tokens joined by single spaces, IOB1 runs as entities."""
    docs, tokens = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line == "-DOCSTART-":
            if tokens:
                docs.append(tokens)
            tokens = []
            continue
        tokens.extend(line.split(" "))
    docs.append(tokens)
    out = []
    for toks in docs:
        text, spans, pos, current = "", set(), 0, None
        for tok in toks:
            word, _, tag = tok.partition("|")
            start = pos
            text += ("" if not text else " ") + word
            start = len(text) - len(word)
            pos = len(text)
            if tag and current and current[2] == tag:
                current = (current[0], pos, tag)
            else:
                if current:
                    spans.add(current)
                current = (start, pos, tag) if tag else None
        if current:
            spans.add(current)
        out.append((text, {s for s in spans if s[2] in SCORED}))
    return out


def load_news_gold(
    path=FIXTURES / "news_ner_gold.txt",
) -> list[tuple[str, set[tuple[int, int, str]]]]:
    """Documents as (headline + "\\n\\n" + summary, {(start, end, TYPE)}), as the stage composes a dispatch."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    out = []
    for i, line in enumerate(lines):
        if not line.startswith("-DOCSTART-"):
            continue
        marked = f"{lines[i + 1]}\n\n{lines[i + 2]}"
        text, spans, last = "", set(), 0
        for m in MARKUP.finditer(marked):
            text += marked[last : m.start()]
            spans.add((len(text), len(text) + len(m.group(1)), m.group(2)))
            text += m.group(1)
            last = m.end()
        text += marked[last:]
        out.append((text, {s for s in spans if s[2] in SCORED}))
    return out


def predict(enricher: Enricher, texts: list[str], post_process: bool) -> list[set]:
    """Mention spans per text: the raw model's, or after the stage's post-processing (``mention_types``)."""
    return predict_spans(enricher._model("en"), MODELS["en"].labels, texts, post_process, enricher.gazetteer)


def _report(name: str, enricher: Enricher, gold: list) -> tuple[dict, dict]:
    """Print and return (raw model, post-processed) P/R/F1 per type and ALL."""
    texts = [t for t, _ in gold]
    raw = score([g for _, g in gold], predict(enricher, texts, post_process=False))
    post = score([g for _, g in gold], predict(enricher, texts, post_process=True))
    n = Counter(s[2] for _, g in gold for s in g)
    print(f"\n{name}, {len(gold)} documents, gold mentions {dict(n)}")
    for label in [*SCORED, "ALL"]:
        print(
            f"  {label:4} raw P/R/F1 {raw[label][0]:.3f}/{raw[label][1]:.3f}/{raw[label][2]:.3f}"
            f"   post-processed {post[label][0]:.3f}/{post[label][1]:.3f}/{post[label][2]:.3f}"
        )
    return raw, post


def test_english_ner_f1_on_news(enricher: Enricher) -> None:
    assert _report("news gold set", enricher, load_news_gold())[1]["ALL"][2] >= NEWS_THRESHOLD


def test_english_ner_f1_on_wikigold(enricher: Enricher) -> None:
    assert _report("WikiGold sample", enricher, load_gold())[1]["ALL"][2] >= THRESHOLD


def test_english_ner_f1_on_uner_news(enricher: Enricher) -> None:
    gold = load_uner()
    assert (
        len(gold) == 215 and sum(len(g) for _, g in gold) == 395
    )  # the whole news half, every mention parsed
    raw, post = _report("UNER English-PUD news (public gold)", enricher, gold)
    assert (
        post["ALL"][2] > raw["ALL"][2]
    )  # post-processing helps on text it was not built on... mostly: see docstring
    assert post["ALL"][2] >= UNER_FLOOR
