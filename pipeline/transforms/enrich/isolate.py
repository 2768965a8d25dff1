"""The items a dying stage worker held, worked again one at a time in a worker of their own.

A worker that dies (a native crash in a model's code, the OOM killer, SIGKILL) breaks its pool, and every batch in
flight fails with it.  Working those batches in the pipeline process, as it did before, is right when the death was
not the items' fault, and fatal when it was: an item that crashes whichever process works it then takes the pipeline
process down too, and again on every restart (its offset is never committed).  So they are worked again here, each
alone in a fresh one-worker pool: an item whose worker dies is tried once more in another one (a worker killed from
outside is not its item's fault), and an item that kills two workers becomes a ``WorkerDied`` error, which its stage
turns into a dead letter with the item's original bytes, while the rest go on (tests/faults/test_poison_crash.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipeline.transforms.enrich.pool import EnrichPool

log = logging.getLogger(__name__)

TRIES = 2  # deaths of a worker working an item alone before the item is given up as their cause


class WorkerDied(RuntimeError):
    """The item killed every worker process that worked it alone (a crash in native code, or memory)."""


def one_by_one(
    start: Callable[[], EnrichPool],
    send: Callable[[EnrichPool, list[Any]], Future],
    values: list[Any],
    tries: int = TRIES,
) -> list[Any] | None:
    """One result (or exception) per value, each worked alone in a one-worker pool that ``start`` makes (a fresh one
    after each death); a value whose worker dies ``tries`` times gets a ``WorkerDied``.  None if a fresh worker does
    not even come up (it cannot load its models: no item's fault), and the caller works the values itself."""
    out: list[Any] = []
    pool: EnrichPool | None = None
    deaths = 0
    try:
        while len(out) < len(values):
            if pool is None:
                pool = start()
                if not pool.ready(wait=True):
                    log.error("isolating %d items: a fresh worker failed to start", len(values) - len(out))
                    return None
            try:
                (result,) = send(pool, [values[len(out)]]).result()
            except (BrokenProcessPool, RuntimeError) as exc:
                pool.shutdown()
                pool = None
                deaths += 1
                if deaths < tries:
                    continue
                log.error(
                    "item %d of %d killed %d workers working it alone: failed", len(out), len(values), deaths
                )
                result = WorkerDied(
                    f"the stage worker process died {deaths} times working this item alone ({exc}): "
                    "a crash in native code or memory, given up so the rest can go on"
                )
            out.append(result)
            deaths = 0
        return out
    finally:
        if pool is not None:
            pool.shutdown()
