"""Event clustering: P/R of "same cluster" on the shipped pairs, and what clustering costs the NER-off path.

    .venv/bin/python bench/bench_cluster.py [--items 1000] [--reps 2] [--baseline-src <tree without clustering>]

1. P/R tables (pipeline/transforms/cluster/evaluate.py): SemEval-2022 Task 8 training pairs (tune / held-out
   splits; with each article's estimated publication day, and ``undated``), WMT09 translations, and the authored
   seed variants in en/fr/de/es/it/pl/pt; each pair in a fresh index, and (``stream``) each split's articles through
   one index in publication order.  Without the pairs' texts (not committed), the same tables (dated) from the
   committed anonymised signatures of those articles (tests/unit/cluster/eval_signatures.py).
2. NER-off cost, in one run, on the bench_drain corpus (Reuters-21578 stories, distinct items):
   * stage loop: CPU of the one-process loop of the NER-off stages (stage_loop.run_loop) against the CPU of the
     cluster index deciding the same enriched records; ratio = (loop + cluster) / loop; then the same records once
     more in a new index with the per-token tables warm (what a long run sees), and the clusters' sizes;
   * with ``--baseline-src``: the real pipeline (drain, embedded broker) of this tree against a tree without
     clustering (e.g. ``git archive`` of the commit before it), alternating, ``--reps`` each; ratio of medians;
   * with ``--ablate``: the same, against a copy of this tree with clustering switched off (``without_clustering``:
     no signature in the enrich workers, no index, no restore; every record its own story's cluster), so the two
     trees differ only in clustering;
   * with ``--share``: inside one drain of this tree under py-spy, clustering's share of the CPU samples of all the
     run's Python processes (the cluster stage, the signatures in the enrich workers, the cluster modules' imports),
     and the ratio it implies, total / (total - clustering): one run measures both sides, so the between-run noise
     of the A/B (+-1 s on a 6-10 s drain here) is not in it; what it leaves out is clustering's effect on the other
     stages' caches and collections.
Timing is on a shared machine: the loop ratio (CPU seconds) and the sampled share are the steadier numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def pr_tables() -> None:
    import itertools

    from pipeline.transforms.cluster.evaluate import (
        Score,
        evaluate,
        evaluate_stream,
        load_pairs,
        table,
        undated,
    )
    from pipeline.transforms.cluster.index import ClusterIndex
    from tests.unit.cluster import eval_data
    from tests.unit.cluster.records import enriched

    results = {}
    if eval_data.SEMEVAL.exists() and eval_data.CROSSLANG.exists():
        semeval, wmt = load_pairs(eval_data.SEMEVAL), load_pairs(eval_data.CROSSLANG)
        for split in ("tune", "heldout"):  # with each article's estimated day, as a feed dates its records
            results[split] = evaluate(p for p in semeval if p.split == split)
        for split in ("tune", "heldout"):  # without dates: the time window cannot apply
            results[f"{split} undated"] = evaluate(undated(p) for p in semeval if p.split == split)
        for split in ("tune", "heldout"):
            results[f"wmt09-{split}"] = evaluate(p for p in wmt if p.split == split)
        # each split's articles as one stream through one index (chains, late links)
        for split in ("tune", "heldout"):
            results[f"{split} stream"] = evaluate_stream(p for p in semeval if p.split == split)
            results[f"wmt09-{split} stream"] = evaluate_stream(p for p in wmt if p.split == split)
    else:  # the committed anonymised signatures of the same articles (eval_signatures.py): the same decisions
        from tests.unit.cluster import eval_signatures

        print(f"{eval_data.MISSING}; from {eval_signatures.SIGNATURES.name} instead:", flush=True)
        sigs, labelled = eval_signatures.load()
        for src, split in itertools.product(("semeval", "wmt09"), ("tune", "heldout")):
            chosen = [x for x in labelled if x.source == src and x.split == split]
            name = split if src == "semeval" else f"wmt09-{split}"
            results[name] = eval_signatures.evaluate(sigs, chosen)
            results[f"{name} stream"] = eval_signatures.evaluate_stream(sigs, chosen)
    names = [f"{s}-{lang}" for s in ("seed", "kyiv") for lang in ("en", "fr", "de", "es", "it", "pl", "pt")]
    records = {n: enriched(n) for n in names}
    variants = {"same-language": Score(), "cross-language": Score()}
    for a, b in itertools.permutations(names, 2):
        index = ClusterIndex(clock=lambda: 1_671_408_000.0)
        first, _ = index.offer(records[a])
        second, _ = index.offer(records[b])
        group = "same-language" if a[-2:] == b[-2:] else "cross-language"
        variants[group] = variants[group].add(a[:4] == b[:4], first.cluster_id == second.cluster_id)
    results["variants"] = variants
    print(table(results), flush=True)


def loop_ratio(values: list[bytes]) -> float:
    from stage_loop import run_loop

    from pipeline.avro.codec import decode_raw_entry
    from pipeline.model import Dispatch, EnrichedDispatch, KafkaRecord
    from pipeline.transforms.cluster.index import ClusterIndex
    from pipeline.transforms.cluster.signals import stopwords
    from pipeline.transforms.dedup.local import LocalDeduplicator
    from pipeline.transforms.enrich.stage import shared_enricher
    from pipeline.transforms.normalize.stage import NormalizeRecord

    spent = run_loop(values, ner=False, cluster=False)
    loop_cpu = sum(v for k, v in spent.items() if k != "total")
    normalize, dedup, enricher = NormalizeRecord(), LocalDeduplicator(), shared_enricher(None, False)
    kept = []
    for i, value in enumerate(values):
        (d,) = normalize((KafkaRecord("raw", 0, i, None, value, 0), decode_raw_entry(value)))
        out = dedup.offer(d)
        if isinstance(out, Dispatch):
            kept.append(out)
    records = [EnrichedDispatch(d, e) for d, e in zip(kept, enricher.enrich_batch(kept), strict=True)]
    for lang in {r.enrichment.language for r in records}:
        stopwords(lang)  # loaded once per process before the first record, as the enricher's tables are
    index = ClusterIndex()
    t = time.process_time()
    decided = [index.offer(r)[0] for r in records]
    cluster_cpu = time.process_time() - t
    sizes = Counter(r.cluster_id for r in decided).most_common()
    print(
        f"{'clusters':40} {len(sizes)} for {len(records)} records, largest {sizes[0][1] if sizes else 0}, "
        f"top 5 sizes {[n for _, n in sizes[:5]]}",
        flush=True,
    )
    ratio = (loop_cpu + cluster_cpu) / loop_cpu
    index = (
        ClusterIndex()
    )  # the same records again, in a new index: the per-token tables are warm (a long run)
    t = time.process_time()
    for r in records:
        index.offer(r)
    warm_cpu = time.process_time() - t
    print(
        f"{'stage loop NER off, CPU s':40} {loop_cpu:8.2f}   cluster {cluster_cpu:6.2f} s "
        f"({len(records)} records, {cluster_cpu / len(records) * 1000:.2f} ms each; warm tables "
        f"{warm_cpu / len(records) * 1000:.2f} ms each)   ratio {ratio:.3f}",
        flush=True,
    )
    return ratio


# (file, anchor line, lines inserted after it): the cluster stage off in a copy of this tree (``--ablate``)
ABLATION = (
    (
        "pipeline/transforms/enrich/pool.py",
        "def _with_signature(d: Dispatch, e: Enrichment) -> Enrichment:\n",
        "    return e\n",
    ),
    (
        "pipeline/transforms/cluster/stage.py",
        "    def _make(self) -> ClusterIndex:\n",
        "        return ClusterIndex(self.horizon_s, self.clock, self.max_items)\n",
    ),
    (
        "pipeline/transforms/cluster/stage.py",
        "    def process(self, e: EnrichedDispatch) -> Iterator[Any]:\n",
        "        yield e.with_cluster(e.dispatch.story_id)\n        return\n",
    ),
)


def without_clustering(dest: Path) -> Path:
    """A copy of this tree's tracked files (as they are in the working tree) with ``ABLATION`` applied."""
    import shutil
    import subprocess

    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for name, anchor, inserted in ABLATION:
        text = (dest / name).read_text()
        if text.count(anchor) != 1:
            raise SystemExit(f"--ablate: {anchor.strip()!r} not found once in {name}; update ABLATION")
        (dest / name).write_text(text.replace(anchor, anchor + inserted))
    return dest


def pipeline_ratio(entries: list, baseline: Path, reps: int, processes: int = -1) -> float:
    from bench_drain import produce
    from bench_throughput import pipeline_run

    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings

    runs: dict[str, list[tuple[float, float, float]]] = {"with clustering": [], "without (baseline)": []}
    trees = [("with clustering", ROOT), ("without (baseline)", baseline.resolve())]
    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        # one unmeasured short run per tree first: a new tree builds its gazetteer cache (~3 s) on its first run
        for _, src in trees:
            raw = f"raw-{uuid.uuid4().hex[:6]}"
            produce(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), raw, entries[:50])
            pipeline_run(src, broker.bootstrap_servers, raw, False, processes, 1.0)
    for rep in range(reps):
        # a fresh broker per repetition, and the order flipped every other one: neither tree always runs first
        with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
            kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
            for label, src in trees if rep % 2 == 0 else trees[::-1]:
                raw = f"raw-{uuid.uuid4().hex[:6]}"
                produce(kafka, raw, entries)
                r = pipeline_run(src, broker.bootstrap_servers, raw, False, processes, 1.0)
                cpu = r["cpu_s"] + r["cpu_children_s"]  # the pipeline process and its enrich workers
                runs[label].append((r["wall_s"], cpu, r.get("spawn_to_exit_s", 0.0)))
                print(
                    f"{'pipeline drain NER off, ' + label:40} rep {rep + 1}  {r['wall_s']:7.1f} s  "
                    f"{len(entries) / r['wall_s']:7.1f} items/s  CPU {cpu:6.1f} s  "
                    f"load {r['load_before']:.1f}-{r['load_after']:.1f}",
                    flush=True,
                )
    with_, without = runs["with clustering"], runs["without (baseline)"]
    ratio = statistics.median(w for w, _, _ in with_) / statistics.median(w for w, _, _ in without)
    cpu_ratio = statistics.median(c for _, c, _ in with_) / statistics.median(c for _, c, _ in without)
    whole = statistics.median(x for _, _, x in with_) / max(1e-9, statistics.median(x for _, _, x in without))
    print(
        f"{'pipeline ratio (median wall)':40} {ratio:.3f}   (median CPU) {cpu_ratio:.3f}   "
        f"(median spawn to exit) {whole:.3f}",
        flush=True,
    )
    return ratio


def sampled_share(items: int, processes: int | None, reps: int) -> None:
    """``--share``: see the module docstring.  A first, unmeasured drain builds this tree's caches."""
    import os

    from profile_drain import drain_samples, stacks

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = Path(tempfile.mkdtemp(prefix="cluster-share-"))
    drain_samples(200, out / "warm.txt", env, enrich_processes=processes)
    for rep in range(reps):
        wall, load = drain_samples(items, out / f"drain-{rep}.txt", env, enrich_processes=processes)
        per_process: dict[str, list[int]] = {}
        for stack, count in stacks(out / f"drain-{rep}.txt"):
            # the innermost "process" frame: py-spy nests a child's samples under its parent's process frame
            process = [f for f in stack.split(";") if f.startswith("process ")][-1].split(":", 1)[0]
            total_cluster = per_process.setdefault(process, [0, 0])
            total_cluster[0] += count
            if "(pipeline/transforms/cluster/" in stack:
                total_cluster[1] += count
        total = sum(t for t, _ in per_process.values())
        cluster = sum(c for _, c in per_process.values())
        processes_seen = ", ".join(
            f"{c}/{t}" for t, c in sorted(per_process.values(), reverse=True) if t >= 0.01 * total
        )
        print(
            f"{'sampled share, rep ' + str(rep + 1):40} clustering {cluster} of {total} samples = "
            f"{100 * cluster / max(total, 1):.1f} %  (per process {processes_seen})  implied ratio "
            f"{total / max(total - cluster, 1):.3f}   {wall:.1f} s under py-spy, load {load:.1f}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--baseline-src", type=Path, default=None, help="a source tree without clustering")
    ap.add_argument(
        "--ablate",
        action="store_true",
        help="the pipeline A/B against this tree with clustering switched off",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=-1,
        help="enrich stage workers in the pipeline runs (-1: auto, 0: none)",
    )
    ap.add_argument("--skip-pr", action="store_true", help="only the cost measurements")
    ap.add_argument(
        "--share",
        action="store_true",
        help="clustering's share of a drain's CPU samples (py-spy), --reps runs",
    )
    args = ap.parse_args()
    if not args.skip_pr:
        pr_tables()
    from bench_drain import generate

    from pipeline.avro.codec import encode_raw_entry

    entries = generate(args.items)
    loop_ratio([encode_raw_entry(e) for e in entries])
    if args.share:
        sampled_share(args.items, args.processes if args.processes >= 0 else None, args.reps)
    if args.ablate:
        args.baseline_src = without_clustering(Path(tempfile.mkdtemp(prefix="no-cluster-")))
    if args.baseline_src:
        pipeline_ratio(entries, args.baseline_src, args.reps, args.processes)


if __name__ == "__main__":
    main()
