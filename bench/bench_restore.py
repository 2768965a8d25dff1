"""What a restart costs before the first record: rebuilding dedup's and clustering's state from the output topic.

    .venv/bin/python bench/bench_restore.py [--items 10000] [--reps 2] [--baseline-src <another tree>]

A drain of ``--items`` distinct bench_drain dispatches (NER off, one enrich worker) fills an output topic on an
embedded broker; then, in a fresh process per tree and repetition, dedup's restore (``dedup.restore.load``) and
clustering's (``cluster.restore.load``) read it back as a restarted pipeline does.  Prints wall and CPU seconds of
each, per tree, alternating the trees; the records are the same for both.
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


def main() -> None:
    from bench_drain import generate, produce
    from bench_throughput import _schemas_of, pipeline_run

    from pipeline.bus.broker import EmbeddedBroker
    from pipeline.settings import KafkaSettings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument(
        "--baseline-src", type=Path, default=None, help="another source tree, timed on the same topic"
    )
    args = ap.parse_args()
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline_src.resolve())] if args.baseline_src else [])
    with EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker:
        raw = f"raw-{uuid.uuid4().hex[:6]}"
        produce(KafkaSettings(bootstrap_servers=broker.bootstrap_servers), raw, generate(args.items))
        run = pipeline_run(ROOT, broker.bootstrap_servers, raw, False, 1, None)
        print(f"output topic: {args.items} items drained in {run['wall_s']:.1f} s", flush=True)
        for rep in range(args.reps):
            for label, src in trees if rep % 2 == 0 else trees[::-1]:
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(_schemas_of(src))])}
                done = subprocess.run(
                    [sys.executable, "-c", LOAD, broker.bootstrap_servers, run["output"]],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=src,
                )
                times = json.loads(done.stdout.strip().splitlines()[-1])
                cells = "   ".join(f"{k} {w:6.2f} s wall {c:6.2f} s CPU" for k, (w, c) in times.items())
                print(f"{label:10} rep {rep + 1}   {cells}", flush=True)


if __name__ == "__main__":
    main()
