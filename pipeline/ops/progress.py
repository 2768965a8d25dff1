"""Progress bars for long drains, backfills and replays: counts -> a rich progress bar on stderr.

In: a total and a way to learn how far the work got.  Out: a bar on stderr, only when stderr is a terminal (logs and
pipes stay clean).  ``GroupProgress`` follows a consumer group from the outside: a thread compares the group's
committed offsets with the end offsets counted at start, so the pipeline itself is not touched.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipeline.ops.offsets import PartitionOffsets, group_lags, partition_offsets
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)


def wanted(stream: Any = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def bar(description: str, total: int | None, enabled: bool | None = None) -> Iterator[Any]:
    """A rich progress bar on stderr (``advance``/``update`` like rich's), or a no-op when not on a terminal."""
    if not (wanted() if enabled is None else enabled):
        yield _NoBar()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield _Bar(progress, task)


class _NoBar:
    def advance(self, n: int = 1) -> None:
        pass

    def update(self, completed: int, total: int | None = None) -> None:
        pass


class _Bar(_NoBar):
    def __init__(self, progress: Any, task: Any):
        self.progress, self.task = progress, task

    def advance(self, n: int = 1) -> None:
        self.progress.advance(self.task, n)

    def update(self, completed: int, total: int | None = None) -> None:
        if total is not None:
            self.progress.update(self.task, total=total)
        self.progress.update(self.task, completed=completed)


def drained(start: list[PartitionOffsets], committed: dict[tuple[str, int], int | None]) -> tuple[int, int]:
    """(records done, records to do) for a group reading from ``committed`` (at start) to the ends at start."""
    total = done = 0
    for o in start:
        first = committed.get((o.topic, o.partition))
        first = o.earliest if first is None else max(first, o.earliest)
        total += max(0, o.end - first)
    return done, total


class GroupProgress:
    """A background thread: records the group committed on ``topic`` since start, against the ends at start."""

    def __init__(self, kafka: KafkaSettings, topic: str, group: str, interval_s: float = 1.0):
        self.kafka, self.topic, self.group, self.interval_s = kafka, topic, group, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _committed(self, offsets: list[PartitionOffsets]) -> dict[tuple[str, int], int | None]:
        return {(g.topic, g.partition): g.committed for g in group_lags(self.kafka, offsets, [self.group])}

    def _position(self, offsets: list[PartitionOffsets], first: dict[tuple[str, int], int | None]) -> int:
        now = self._committed(offsets)
        done = 0
        for o in offsets:
            a = first.get((o.topic, o.partition))
            a = o.earliest if a is None else max(a, o.earliest)
            b = now.get((o.topic, o.partition))
            done += max(0, min(o.end, b if b is not None else a) - a)
        return done

    def _follow(self, description: str, offsets: list[PartitionOffsets], first: dict, total: int) -> None:
        try:
            with bar(description, total, enabled=True) as b:
                while not self._stop.wait(self.interval_s):
                    b.update(self._position(offsets, first))
                b.update(self._position(offsets, first))
        except Exception:  # a progress bar never stops the work it reports on
            log.debug("progress: giving up", exc_info=True)

    def start(self, description: str) -> GroupProgress:
        """Count the ends and the group's position now (before the work starts), then follow in a thread."""
        if wanted():
            offsets = partition_offsets(self.kafka, [self.topic])
            first = self._committed(offsets)
            _, total = drained(offsets, first)
            args = (description, offsets, first, total)
            self._thread = threading.Thread(target=self._follow, args=args, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
