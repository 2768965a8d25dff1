"""A DoFn that works through its elements in batches, here or in the stage worker pool (transforms/enrich/pool.py).

Stateless stages whose work is pure CPU (enrich; normalize when the pool has room) share the pool's worker processes
on the single-process local runner.  ``PooledBatchFn`` holds what they have in common: elements are buffered
within a bundle with their timestamp and window and go out as a batch when ``batch_size`` of them wait or the oldest
waited ``max_wait_s`` (and at the end of the bundle).  With fewer workers than cores a batch goes to the pool while
it has fewer than two per worker in flight, else (and at the end of a bundle) it is worked here; with a worker per
core (``dedicated``: NER on) every batch goes to the pool, shared out between the workers, and this process waits for
room.  Results are emitted in order as they come back, and the bundle only finishes once all of them were emitted
(so the source's offset commit still follows the writes).  A pool that breaks (a worker died) is dropped: the
batches it held are worked again item by item, each alone in a fresh worker, so that an item that crashes whatever
process works it becomes a dead letter instead of crashing this one (enrich/isolate.py,
tests/faults/test_poison_crash.py); the rest of the bundle is worked here (the executor refuses new work at once, so
a refused submit counts too), and the next bundle starts a fresh pool (tests/faults/test_worker_kill.py).

Subclasses say what one batch is (``work_here``, ``send``) and what a result becomes (``emit``); a result that is an
exception becomes a ``Failure`` on the ``failures`` output, with the element it failed on.
"""

from __future__ import annotations

import abc
import logging
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.beam.failures import FAILURES, Clock, make_failure, raw_coordinates
from pipeline.beam.journal import WorkJournal
from pipeline.transforms.enrich import isolate
from pipeline.transforms.enrich.pool import EnrichPool, drop_pool, shared_pool, usable_cores

log = logging.getLogger(__name__)

MAX_WAIT_S = 0.15  # a buffered item waits at most this long for its batch to fill (stream latency)


class PooledBatchFn(beam.DoFn, metaclass=abc.ABCMeta):
    """Batches of elements worked here or in the stage pool, emitted in order; see the module docstring.

    ``pool_key`` = ``(processes, languages, ner)`` of the shared pool (``shared_pool``), or None for no pool.
    """

    def __init__(
        self,
        stage: str,
        batch_size: int,
        clock: Clock,
        pool_key: tuple | None,
        max_wait_s: float = MAX_WAIT_S,
        monotonic: Clock = time.monotonic,
        worker_key: tuple = (None, False),
        journal: str | None = None,
    ):
        self.stage = stage
        self.batch_size = batch_size
        self.clock = clock
        self.pool_key = pool_key if pool_key and pool_key[0] > 0 else None
        self.max_wait_s = max_wait_s
        self.monotonic = monotonic
        self.failed = Metrics.counter(stage, "failures")
        self.batches = Metrics.distribution(stage, "batch_size")
        self.pooled = Metrics.counter(stage, "batches_in_pool")
        self.pool_failures = Metrics.counter(stage, "pool_failures")
        # items held by a worker that died, or left by a pipeline process that died working them: worked alone
        self.isolated = Metrics.counter(stage, "items_isolated")
        self.worker_key = worker_key  # (languages, ner) of an isolated worker (enrich/isolate.py)
        # beam/journal.py: the items this process works itself, on disk meanwhile
        self.journal_prefix = journal
        self._counters: dict[str, Any] = {}

    # --- what a subclass says -------------------------------------------------------------------------------
    def accept(self, element: Any) -> BaseException | None:
        """None if this stage works on ``element``, else the error its failure carries."""
        return None

    @abc.abstractmethod
    def work_here(self, values: list[Any]) -> list[Any]:
        """One result (or exception) per value, in this process."""

    @abc.abstractmethod
    def send(self, pool: EnrichPool, values: list[Any]) -> Future:
        """The same batch in the pool: a future of one result (or exception) per value."""

    @abc.abstractmethod
    def emit(self, wv: WindowedValue, result: Any) -> Iterable[Any]:
        """The outputs of one element's result (not an exception)."""

    def before_send(self, pool: EnrichPool, batch: list[WindowedValue]) -> None:
        """Called before a batch goes to a pool that owns every core (``dedicated``)."""

    # --- the batching -------------------------------------------------------------------------------------------
    def setup(self) -> None:
        self.pool: EnrichPool | None = None
        # As many workers as cores: they do all the work and this process only feeds them (it waits for room and
        # for their start-up).  Fewer: this process works a batch itself whenever the workers have two each in
        # flight, and before they are up.
        self.dedicated = self.pool_key is not None and self.pool_key[0] >= usable_cores()
        self.journal = WorkJournal(self.journal_prefix).open() if self.journal_prefix else None

    def teardown(self) -> None:
        if getattr(self, "journal", None) is not None:
            self.journal.close()

    def start_bundle(self) -> None:
        self._buffer: list[WindowedValue] = []
        self._oldest = 0.0
        self._pending: deque[tuple[list[WindowedValue], Future]] = deque()
        if self.pool_key is not None and self.pool is None:
            self.pool = shared_pool(*self.pool_key)

    def process(
        self, element: Any, timestamp=beam.DoFn.TimestampParam, window=beam.DoFn.WindowParam
    ) -> Iterable[Any]:
        wv = WindowedValue(element, timestamp, (window,))
        refused = self.accept(element)
        if refused is not None:
            yield from self._fail([wv], refused)
            return
        now = self.monotonic()
        if not self._buffer:
            self._oldest = now
        self._buffer.append(wv)
        if len(self._buffer) >= self.batch_size or now - self._oldest >= self.max_wait_s:
            yield from self._flush(here=False)
        yield from self._collect(wait=False)

    def finish_bundle(self) -> Iterable[Any]:
        yield from self._flush(here=True)  # nothing else to do in this process now
        yield from self._collect(wait=True)

    def _flush(self, here: bool) -> Iterable[Any]:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        self.batches.update(len(batch))
        pool = self.pool
        if pool is not None and pool.ready(wait=self.dedicated):
            if self.dedicated:
                # The workers own every core: this process waits for room instead of competing with them.  Each
                # batch is shared out between the workers, so at a bundle's end no worker sits idle for long while
                # another finishes a whole batch (500 NER-on items: 18.2-19.8/s vs 17.6-17.9/s unsplit).
                while len(self._pending) >= 2 * pool.processes:
                    yield from self._collect(wait=True, limit=1)
                self.before_send(pool, batch)
                parts = _split(batch, pool.processes)
                sent = 0
                while sent < len(parts) and self._submit(pool, parts[sent]):
                    sent += 1
                # what a broken pool refused is worked here
                batch = [wv for part in parts[sent:] for wv in part]
            elif not here and len(self._pending) < 2 * pool.processes and self._submit(pool, batch):
                return
        if batch:
            yield from self._emit(batch, self._here([wv.value for wv in batch]))

    def _submit(self, pool: EnrichPool, batch: list[WindowedValue]) -> bool:
        """Send ``batch`` to the pool; False when the pool is broken (a worker died before this batch: the executor
        then refuses new work at once, rather than through the batch's future), and the caller works it here."""
        try:
            future = self.send(pool, [wv.value for wv in batch])
        except RuntimeError as exc:  # BrokenProcessPool, or a pool already shut down
            self._pool_broke(exc, len(batch))
            return False
        self.pooled.inc()
        self._pending.append((batch, future))
        return True

    def _pool_broke(self, exc: BaseException, items: int, held: bool = False) -> None:
        """Count it, and forget the pool: this bundle works the rest here (what the pool ``held``: item by item in
        fresh workers), the next one starts a fresh pool."""
        self.pool_failures.inc()
        where = "worked again one by one in fresh workers" if held else "worked in the pipeline process"
        log.warning("%s pool failed (%s); %d items %s", self.stage, exc, items, where)
        if self.pool is not None:
            drop_pool(self.pool)
            self.pool = None

    def _collect(self, wait: bool, limit: int | None = None) -> Iterable[Any]:
        """Emit the pool's results in submission order: those already back, or (``wait``) the next ``limit`` of
        them, all by default."""
        done = 0
        while self._pending and (wait or self._pending[0][1].done()) and (limit is None or done < limit):
            done += 1
            batch, future = self._pending.popleft()
            try:
                results = future.result()
            except Exception as exc:  # the pool broke (a worker died); a fresh pool next bundle
                broken = isinstance(exc, BrokenProcessPool)
                # the batches after it that failed with it too: worked again in the same fresh workers, not in a
                # fresh sequence of workers each (a NER worker's start-up is seconds)
                while broken and self._pending and _failed_broken(self._pending[0][1]):
                    batch = batch + self._pending.popleft()[0]
                    done += 1
                self._pool_broke(exc, len(batch), held=broken)
                results = self._held_by_dead_worker(broken, [wv.value for wv in batch])
            yield from self._emit(batch, results)

    def _held_by_dead_worker(self, broken: bool, values: list[Any]) -> list[Any]:
        """A batch the ``broken`` pool held (a worker died): each item alone in a fresh worker (enrich/isolate.py),
        so that an item that crashes whatever process works it fails alone, as a dead letter, instead of crashing
        this process; worked here if no fresh worker comes up, or if the pool failed otherwise."""
        if broken:
            results = self._isolated(values)
            if results is not None:
                return results
        return self._here(values)

    def _here(self, values: list[Any]) -> list[Any]:
        """``work_here``, with the items' coordinates in the journal meanwhile; a batch holding an item that a
        pipeline process died working (the journal's suspects) is worked in isolated workers instead."""
        journal = self.journal
        if journal is None:
            return self.work_here(values)
        coords = [c for c in map(raw_coordinates, values) if c is not None]
        if journal.suspects and not journal.suspects.isdisjoint(coords):
            journal.suspects.difference_update(coords)
            results = self._isolated(values)
            if results is not None:
                return results
        journal.working(coords)
        results = self.work_here(values)
        journal.done()
        return results

    def _isolated(self, values: list[Any]) -> list[Any] | None:
        key = self.worker_key
        results = isolate.one_by_one(lambda: EnrichPool(1, *key), self.send, values)
        if results is not None:
            self.isolated.inc(len(values))
        return results

    def _emit(self, batch: list[WindowedValue], results: list[Any]) -> Iterable[Any]:
        for wv, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                yield from self._fail([wv], result)
            else:
                yield from self.emit(wv, result)

    def counter(self, name: str) -> Any:
        """Counters named by value (language_fr, error_ner, ...), created once per DoFn instance."""
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Metrics.counter(self.stage, name)
        return counter

    def _fail(self, batch: list[WindowedValue], exc: BaseException) -> Iterable[Any]:
        for wv in batch:
            self.failed.inc()
            self.counter(f"failed_{type(exc).__name__}").inc()
            failure = make_failure(self.stage, exc, wv.value, int(self.clock() * 1000))
            yield beam.pvalue.TaggedOutput(FAILURES, wv.with_value(failure))


def _failed_broken(future: Future) -> bool:
    """Whether ``future`` is done and failed because its pool broke."""
    return future.done() and isinstance(future.exception(), BrokenProcessPool)


def _split(batch: list[WindowedValue], parts: int) -> list[list[WindowedValue]]:
    """``batch`` in up to ``parts`` consecutive slices of near-equal size (order kept)."""
    size = -(-len(batch) // max(1, min(parts, len(batch))))
    return [batch[i : i + size] for i in range(0, len(batch), size)]
