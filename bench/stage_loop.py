"""The pipeline's stages as a plain one-process loop, timed per stage: raw record bytes in, seconds per stage out.

decode -> normalize -> dedup (the in-process index) -> enrich (batches of 32) -> cluster (the in-process index; the
record's signature is computed here, where the pipeline computes it in its enrich step) -> Avro encode, on the same
bytes the pipeline benchmarks produce to Kafka; no Kafka, no Beam.  This is the reference the pipeline is compared with
("the one-process loop of the same stages").
"""

from __future__ import annotations

import time

from pipeline.avro.codec import decode_raw_entry
from pipeline.beam.graph import ItemEncoder
from pipeline.model import Dispatch, EnrichedDispatch, KafkaRecord
from pipeline.transforms.cluster.index import ClusterIndex
from pipeline.transforms.cluster.signals import stopwords
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.enrich.stage import shared_enricher
from pipeline.transforms.normalize.stage import NormalizeRecord

BATCH = 32


def run_loop(values: list[bytes], ner: bool, cluster: bool = True) -> dict[str, float]:
    """Seconds spent in each stage (CPU of this process) and in total (wall); ``cluster=False`` leaves that stage out
    (bench_cluster's reference for what clustering adds)."""
    enricher = shared_enricher(None, ner)  # loaded before the clock starts, as the pipeline does in setup()
    normalize, encode = NormalizeRecord(), ItemEncoder(None, "items")
    dedup, index = LocalDeduplicator(), ClusterIndex() if cluster else None
    stopwords("en")  # the cluster stage's table of the corpus' language, likewise loaded before the clock
    spent = dict.fromkeys(("decode", "normalize", "dedup", "enrich", "cluster", "encode"), 0.0)
    kept: list[Dispatch] = []
    t_wall = time.perf_counter()

    def flush() -> None:
        t = time.process_time()
        results = enricher.enrich_batch(kept)
        spent["enrich"] += time.process_time() - t
        items = [EnrichedDispatch(d, e) for d, e in zip(kept, results, strict=True)]
        if index is not None:
            t = time.process_time()
            items = [index.offer(item)[0] for item in items]
            spent["cluster"] += time.process_time() - t
        t = time.process_time()
        for item in items:
            list(encode(item))
        spent["encode"] += time.process_time() - t
        kept.clear()

    for i, value in enumerate(values):
        t = time.process_time()
        raw = decode_raw_entry(value)
        t1 = time.process_time()
        (d,) = normalize((KafkaRecord("raw", 0, i, None, value, 0), raw))
        t2 = time.process_time()
        out = dedup.offer(d)
        t3 = time.process_time()
        spent["decode"] += t1 - t
        spent["normalize"] += t2 - t1
        spent["dedup"] += t3 - t2
        if isinstance(out, Dispatch):
            kept.append(out)
            if len(kept) >= BATCH:
                flush()
    flush()
    spent["total"] = time.perf_counter() - t_wall
    return spent
