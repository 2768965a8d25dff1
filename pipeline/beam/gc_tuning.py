"""The cyclic garbage collector of a process that exists to run one local pipeline (``news-pipeline run``).

CPython starts a young-generation collection every 700 container allocations and a full one whenever enough
long-lived objects piled up; a full collection walks every object of the process, and a process with Beam, the
runner's bundle machinery, the enricher's tables and dedup's and clustering's indexes holds many.  In a 3,000-item
NER-off drain with one stage worker, the pipeline process spent 0.66-0.73 s of its 6.7-7.1 s of CPU collecting
(~1,000 young and 6 full collections, ~80 ms each; ``gc.callbacks``), and that process is the run's bottleneck.
With a young generation of 20,000 allocations: ~76 young collections and no full one, 0.17-0.18 s (two runs).

Objects are still freed by reference counting as before; only reference cycles wait longer, and a full collection
still runs when the long-lived objects grew by a quarter (CPython's own rule), so memory stays bounded (the fault
suite's soaks measure it).  Only the process's owner applies this (the CLI, the benchmarks' pipeline children):
a library call must not retune the GC of a process it was imported into, so ``run()`` leaves it alone by default.
"""

from __future__ import annotations

import gc

# young allocations per young collection; young collections per middle one; middle per full (CPython: 700, 10, 10)
THRESHOLDS = (20_000, 20, 20)


def for_pipeline_process() -> None:
    gc.set_threshold(*THRESHOLDS)
