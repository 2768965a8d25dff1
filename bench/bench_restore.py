"""What a restart costs before the first record: rebuilding dedup's and clustering's state from the output topic.

    .venv/bin/python bench/bench_restore.py [--items 10000] [--reps 2] [--baseline-src <another tree>]

A drain of ``--items`` distinct bench_drain dispatches (NER off, one enrich worker) fills an output topic on an
embedded broker; then, in a fresh process per tree and repetition, dedup's restore (``dedup.restore.load``) and
clustering's (``cluster.restore.load``) read it back as a restarted pipeline does.  Prints wall and CPU seconds of
each, per tree, alternating the trees; the records are the same for both.  With ``--restart N``: also a whole
pipeline run (drain, NER off, one enrich worker) of N new dispatches against that output topic, per tree: the wall
of ``run`` is what a restart with that much history costs (restores included).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

LOAD = """
import json, sys, time
from pipeline.settings import KafkaSettings
from pipeline.transforms.cluster.restore import load as cluster_load
from pipeline.transforms.cluster.signals import stopwords
from pipeline.transforms.dedup.restore import RestoreSource, load as dedup_load

bootstrap, topic = sys.argv[1:3]
source = RestoreSource(KafkaSettings(bootstrap_servers=bootstrap), topic, "bench")
stopwords(None)  # (loaded once per process by the live stage as well)
out = {}
for name, load in (("dedup", dedup_load), ("cluster", cluster_load)):
    t, c = time.perf_counter(), time.process_time()
    load(source, 7 * 24 * 3600, time.time())
    out[name] = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps(out))
"""

RESTART = """
import json, sys, tempfile, time, uuid
from pipeline.beam.run import run
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

bootstrap, raw, output = sys.argv[1:4]
tag = uuid.uuid4().hex[:6]
topics = TopicSettings(raw=raw, output=output, dead_letter=f"d-{tag}", audit=f"a-{tag}")
settings = PipelineSettings(
    kafka=KafkaSettings(bootstrap_servers=bootstrap), topics=topics, consumer_group=f"g-{tag}",
    out_dir=tempfile.mkdtemp(), ner=False, enrich_processes=1,
)
t = time.perf_counter()
state = run(settings)
print(json.dumps({"state": state, "wall_s": time.perf_counter() - t}))
"""


def in_tree(src: Path, code: str, *args: str) -> dict:
    """Run ``code`` in a fresh process on tree ``src`` (its own schemas): the JSON its last line prints."""
    from bench_throughput import _schemas_of

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(_schemas_of(src))])}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True, cwd=src
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    from bench_drain import generate, produce
    from bench_throughput import pipeline_run

    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument(
        "--baseline-src", type=Path, default=None, help="another source tree, timed on the same topic"
    )
    ap.add_argument("--restart", type=int, default=0, help="also time a pipeline run of N new dispatches")
    args = ap.parse_args()
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline_src.resolve())] if args.baseline_src else [])
    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        raw = f"raw-{uuid.uuid4().hex[:6]}"
        produce(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), raw, generate(args.items))
        run = pipeline_run(ROOT, broker.bootstrap_servers, raw, False, 1, None)
        print(f"output topic: {args.items} items drained in {run['wall_s']:.1f} s", flush=True)
        for rep in range(args.reps):
            for label, src in trees if rep % 2 == 0 else trees[::-1]:
                times = in_tree(src, LOAD, broker.bootstrap_servers, run["output"])
                cells = "   ".join(f"{k} {w:6.2f} s wall {c:6.2f} s CPU" for k, (w, c) in times.items())
                print(f"{label:10} rep {rep + 1}   {cells}", flush=True)
        for rep in range(args.reps if args.restart else 0):
            for label, src in trees if rep % 2 == 0 else trees[::-1]:
                fresh = f"raw-{uuid.uuid4().hex[:6]}"
                produce(
                    KafkaSettings(bootstrap_servers=broker.bootstrap_servers),
                    fresh,
                    generate(args.restart, seed=1000 + rep),
                )
                result = in_tree(src, RESTART, broker.bootstrap_servers, fresh, run["output"])
                print(
                    f"{label:10} rep {rep + 1}   restart: run of {args.restart} new items against the topic "
                    f"{result['wall_s']:6.2f} s ({result['state']})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
