"""A pool of stage worker processes: batches of ``Dispatch`` in, one ``Enrichment`` (or exception) per item out; any
stateless stage's pure function of each item of a batch (``submit_each``: normalize on the NER-off path).

The enrich stage is stateless and already batched, so on the single-process local runner it is the natural place to
use the other cores: ``processes`` worker processes (spawned, never forked from a process that runs Beam's gRPC
threads) each load the ``Enricher`` once and enrich whole batches; the Beam process keeps reading, normalizing,
deduplicating and writing and, with fewer workers than cores, enriches a batch itself whenever the workers are
already busy (see ``EnrichDoFn``).
On Dataflow every vCPU already runs its own SDK harness, so the pool is off there (``processes = 0``): see
docs/performance.md.  A worker that dies breaks the pool; its batches are then enriched in the calling process.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import process as cf_process
from concurrent.futures import wait as wait_all
from dataclasses import replace
from multiprocessing.connection import wait as wait_any
from typing import Any

from pipeline.model import Dispatch, EnrichedDispatch, Enrichment
from pipeline.ops import cpu
from pipeline.ops.exit import skip_final_gc
from pipeline.transforms.enrich import keywords, models
from pipeline.transforms.enrich.enricher import Enricher

_WORKER_ENRICHER: Enricher | None = None


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _init_worker(languages: tuple[str, ...] | None, ner: bool, parent: int) -> None:
    """Load the Enricher before the worker reports ready; NER models as the pipeline process does: the configured
    languages now, else each one when its first batch comes (loading every installed model up front cost ~15 CPU-s
    per worker, which a 300-item NER drain on 2 cores measured as 9 items/s with the pool vs 15 without)."""
    global _WORKER_ENRICHER
    watch_parent(parent)
    skip_final_gc()  # the pool's shutdown waits for its workers' exit (pipeline/ops/exit.py)
    enricher = Enricher.load(languages, ner)
    for lang in languages or ():
        keywords.stop_words(lang)
    if ner:  # spaCy itself now, each language's model with its first batch (above)
        models.import_runtime()
    _WORKER_ENRICHER = enricher


def watch_parent(parent: int) -> None:
    """In a spawned worker: exit once ``parent`` (the pid the spawning process passed, not ``getppid()`` here: a
    worker still starting when its parent died is already re-parented) is gone (``_exit_with_parent``)."""
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="parent").start()


def _exit_with_parent(parent: int, every_s: float = 1.0) -> None:
    """A worker whose pipeline process died (SIGKILL) would wait on its task queue for ever, holding its models'
    memory: once the parent is gone (this process is re-parented), leave."""
    while os.getppid() == parent:
        time.sleep(every_s)
    os._exit(0)


def enrich_each(enricher: Enricher, batch: Sequence[Dispatch]) -> list[Enrichment | BaseException]:
    """The batch at once; if that raises, item by item so one bad item only fails itself."""
    try:
        return list(enricher.enrich_batch(batch))
    except Exception:
        out: list[Enrichment | BaseException] = []
        for d in batch:
            try:
                out.append(enricher.enrich_one(d))
            except Exception as exc:
                out.append(exc)
        return out


def _enrich_in_worker(batch: list[Dispatch]) -> list[Enrichment | BaseException]:
    assert _WORKER_ENRICHER is not None, "worker not initialised"
    results = enrich_each(_WORKER_ENRICHER, batch)
    results = [
        r if isinstance(r, BaseException) else _with_signature(d, r)
        for d, r in zip(batch, results, strict=True)
    ]
    # An exception that does not pickle would break the whole batch's result: send a plain one with the same text.
    return [RuntimeError(f"{type(r).__name__}: {r}") if isinstance(r, BaseException) else r for r in results]


def _each_in_worker(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """``fn`` of each item in a worker (a stateless stage's pure function, e.g. normalize): one result or exception
    per item; an exception that does not pickle is sent as a plain one with the same text."""
    out: list[Any] = []
    for item in items:
        try:
            out.append(fn(item))
        except Exception as exc:
            out.append(exc if _pickles(exc) else RuntimeError(f"{type(exc).__name__}: {exc}"))
    return out


def _pickles(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def _with_signature(d: Dispatch, e: Enrichment) -> Enrichment:
    """The enrichment with its record's cluster signature: the cluster stage's heaviest step (tokenizing), done here
    where a core is free instead of in the pipeline process, which is the bottleneck of a local NER-off run (the
    signature is the same function of the same fields; docs/dedup.md, cost).  Imported here, not at module level:
    cluster imports enrich's gazetteer, so a module-level import would be a cycle."""
    from pipeline.transforms.cluster.signals import of_enriched

    try:
        return replace(e, cluster_signature=of_enriched(EnrichedDispatch(d, e)))
    except Exception:  # the cluster stage computes it (and reports what fails) itself
        return e


class EnrichPool:
    """``processes`` spawned workers, each with its own ``Enricher``; ``submit`` returns a future per batch."""

    def __init__(self, processes: int, languages: tuple[str, ...] | None, ner: bool):
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(languages, ner, os.getpid()),
        )
        # Start the workers now so their model loading overlaps the pipeline's own start-up (each submit spawns
        # one, as none is idle yet).
        self._warm = [self._executor.submit(_enrich_in_worker, []) for _ in range(processes)]
        self._warm_language: list[Future] | None = None  # warm_once's throw-away batches, once sent
        guard_result_pipe(self._executor)

    def ready(self, wait: bool = False) -> bool:
        """True once every worker has loaded its models.  Without ``wait`` the caller enriches batches itself until
        then (a bundle need not wait for a worker's start-up when this process has a core of its own); with it,
        blocks until the workers are up (or failed: then False, and the caller enriches)."""
        if wait:
            wait_all(self._warm)
            return all(f.exception() is None for f in self._warm)
        return all(f.done() for f in self._warm)

    def submit(self, batch: list[Dispatch]) -> Future:
        return self._executor.submit(_enrich_in_worker, batch)

    def submit_each(self, fn: Callable[[Any], Any], items: list[Any]) -> Future:
        """``fn`` (a picklable module-level function) of each item in a worker: a future of one result or
        exception per item."""
        return self._executor.submit(_each_in_worker, fn, items)

    def warm_once(self, sample: list[Dispatch]) -> None:
        """Before the first real batch: ``processes - 1`` throw-away copies of ``sample`` (results ignored), so that
        while one worker takes the real batch the idle others load the same language's NER model too.  Models load
        per language on a worker's first batch of it; without this the second worker loaded its model only when a
        stream at 10 items/s first handed it an item, a ~2 s latency tail right after start-up."""
        if self._warm_language is None:
            try:
                self._warm_language = [self.submit(sample) for _ in range(self.processes - 1)]
            except RuntimeError:  # a broken pool: the real batch that follows finds it so (pooled._submit)
                self._warm_language = []

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def guard_result_pipe(executor: ProcessPoolExecutor) -> None:
    """Make a worker's death in the middle of sending a result break the pool, as any other death does, instead of
    hanging it for ever.

    ``ProcessPoolExecutor``'s manager thread reads a result whole once its first bytes arrive.  A worker killed
    half-way through a result larger than the pipe's buffer leaves that read waiting for the rest: the parent keeps
    the pipe's write end open (to hand it to workers spawned later), and any other worker waits for the write lock
    the dead one held.  The pool never learns of the death, and the batch's future never completes (a drain hung
    that way in CI: tests/faults/test_worker_kill.py; reproduced here in one run of nine on a loaded machine, with
    the manager thread in ``Connection._recv``).  So, once every worker is spawned (there are no later spawns:
    workers are never replaced), the parent closes its copy of the write end, and a thread kills the other workers
    as soon as one dies (the manager would terminate them anyway once it noticed).  Then the read ends, with an
    error, when the last write end closes, and the manager marks the pool broken (tests/faults/
    test_pool_dies_mid_result.py); a submit spawns a worker while none is idle, so call it after the first
    ``max_workers`` submits.  This reaches into the executor's attributes (as CPython 3.11
    names them); without them nothing is changed."""
    processes = getattr(executor, "_processes", None)
    writer = getattr(getattr(executor, "_result_queue", None), "_writer", None)
    if not processes or writer is None or len(processes) != getattr(executor, "_max_workers", -1):
        return
    writer.close()
    workers = list(processes.values())
    args = (workers, weakref.ref(executor))
    threading.Thread(target=_kill_all_when_one_dies, args=args, daemon=True, name="pool-watch").start()


def _kill_all_when_one_dies(workers: list[multiprocessing.Process], executor: weakref.ref) -> None:
    """Once any of ``workers`` ends while the pool is neither shut down (``shutdown`` sets ``_shutdown_thread``
    before it tells the workers to leave) nor known broken (the manager sets it too, then terminates the others
    itself), nor the interpreter exiting: SIGKILL the others, so that no write end of the result pipe stays open
    (``guard_result_pipe``).  Nothing is reaped here: the manager thread does that."""
    wait_any([w.sentinel for w in workers])
    pool = executor()
    if (
        pool is None
        or getattr(pool, "_shutdown_thread", True)
        or getattr(cf_process, "_global_shutdown", True)
    ):
        return
    for w in workers:
        w.kill()  # one that already ended is a zombie until the manager reaps it: the signal does nothing


# A drain with a smaller backlog than this runs without a pool: the workers' start-up (imports, the Enricher, with
# NER spaCy and a model per language) costs more than they save.  `news-pipeline run --mode drain`, spawn to exit,
# two runs each (docs/performance.md, tenth pass): NER on, 30 items 3.4 / 3.8 s without a pool against 4.0 / 4.7 s
# with two workers (and 2.5-3 CPU-s more), 100 items 6.2 / 5.8 s against 5.2 / 4.5 s; NER off, 300 items 2.8 / 2.7 s
# against 3.0 / 2.4 s with one worker, 1,000 items 4.8 / 5.0 s against 3.8 / 3.8 s.
MIN_POOL_BACKLOG_NER = 50
MIN_POOL_BACKLOG = 500


def choose_processes(
    ner: bool,
    load: Callable[[], float] = cpu.load,
    backlog: Callable[[], int | None] | None = None,
) -> int:
    """Worker processes for a pool beside a process that runs the DoFns itself: only while the other cores are idle
    (load < cores - 1, the load being the 1-minute average unless the cores are idle now: ops/cpu.py; on a machine
    whose other core is busy a pool measured slower than none).
    With NER one worker per core, which then do all the enriching (NER is ~90 % of the work: this process only
    feeds them); without NER one fewer, and this process enriches too (it also decodes, normalizes and
    deduplicates, and that is the larger half).  ``backlog`` (a drain: what it has to read, None when unknown) is
    asked only when a pool would be chosen; below ``MIN_POOL_BACKLOG[_NER]`` records, none.  Measured in
    docs/performance.md."""
    return pool_choice(ner, load, backlog)[0]


def pool_choice(
    ner: bool,
    load: Callable[[], float] = cpu.load,
    backlog: Callable[[], int | None] | None = None,
) -> tuple[int, str]:
    """``choose_processes``' answer and what it was made of, in words (``news-pipeline run`` prints them: how a
    run uses the cores, and so how fast it goes, depends on the machine's load when it starts)."""
    cores = usable_cores()
    if cores < 2:
        return 0, f"automatic: {cores} usable core"
    busy = load()
    said = getattr(busy, "detail", None) or f"load {busy:.2f}"  # (cpu.Load: the average and what is busy now)
    if busy >= cores - 1:
        return 0, f"automatic: {said} >= {cores - 1} of {cores} usable cores"
    records = backlog() if backlog is not None else None
    minimum = MIN_POOL_BACKLOG_NER if ner else MIN_POOL_BACKLOG
    if records is not None and records < minimum:
        return 0, f"automatic: a drain of {records:,} records (a pool pays for itself from {minimum:,})"
    to_drain = f", {records:,} records to drain" if records is not None else ""
    return (cores if ner else cores - 1), f"automatic: {cores} usable cores, {said}{to_drain}"


def start_early(
    processes: int | None, ner: bool, backlog: Callable[[], int | None] | None = None
) -> tuple[int, str]:
    """The run's stage pool started now, before Beam is imported: ``news-pipeline run`` on the single-process local
    runner calls it first, so the workers' imports and models load beside Beam's import and the graph's construction
    (~1 s of this process alone) instead of after them.  Returns the worker count (``processes``, or chosen as
    ``choose_processes`` would) and why, in words; the run must then be given the count as its explicit setting: the
    graph asks ``shared_pool`` for the same key (its enrich stage's languages are the default, None) and gets these
    workers.  Imports nothing of Beam (tests/unit/enrich/test_import_cost.py)."""
    if processes is None:
        chosen, why = pool_choice(ner, backlog=backlog)
    else:
        chosen, why = processes, "--enrich-processes"
    if chosen > 0:
        shared_pool(chosen, None, ner)
    return chosen, why


def describe(processes: int, why: str) -> str:
    """One line on the run's stage pool, for the person who started it."""
    if processes <= 0:
        return f"stage pool: none, the pipeline process works alone ({why})"
    workers = "1 worker" if processes == 1 else f"{processes} workers"
    return f"stage pool: {workers} beside the pipeline process ({why})"


_POOLS: dict[tuple, EnrichPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(processes: int, languages: tuple[str, ...] | None, ner: bool) -> EnrichPool:
    """One pool per (processes, languages, ner) for the whole process, like ``shared_enricher``."""
    key = (processes, languages, ner)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = EnrichPool(processes, languages, ner)
        return pool


def drop_pool(pool: EnrichPool) -> None:
    """Forget a broken pool (a worker died) so the next bundle starts a fresh one."""
    with _POOLS_LOCK:
        for key, known in list(_POOLS.items()):
            if known is pool:
                del _POOLS[key]
