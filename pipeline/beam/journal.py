"""What a pipeline process is working on itself, on disk while it works it: the items of a batch a stage works in the
pipeline process (pooled.py ``work_here``), by their raw record's coordinates.

An item that crashes whatever process works it (a crash in native code: lxml, fastText, spaCy; the OOM killer) kills
the pipeline process when that process works it itself, and a restarted run reads it again from the last committed
offset and dies again.  Each batch's coordinates are written to ``<prefix>.<pid>-<n>`` before the batch is worked and
cleared after; a process that dies leaves them there.  A later run with the same prefix (same state directory,
consumer group and stage) takes the coordinates left by processes no longer alive as suspects: a batch holding one
is worked in isolated workers instead (enrich/isolate.py), where the item that crashes becomes a dead letter.  A
pipeline process killed from outside leaves innocent suspects: they only cost the spawn of a worker.

Local runner only: on Dataflow the harness that dies takes its disk with it (the graph passes no prefix there).
Written with ``pwrite``/``ftruncate`` on an open file, without fsync: a process crash keeps the page cache.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import logging
import os

from pipeline.bus.children import pid_alive

log = logging.getLogger(__name__)

Coordinates = tuple[str, int, int]  # raw topic, partition, offset
_INSTANCES = itertools.count()


class WorkJournal:
    """``working(coords)`` before a batch, ``done()`` after; ``suspects`` what dead processes left."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.suspects: set[Coordinates] = set()
        self._fd: int | None = None
        self._path = ""

    def open(self) -> WorkJournal:
        os.makedirs(os.path.dirname(self.prefix) or ".", exist_ok=True)
        for path in glob.glob(glob.escape(self.prefix) + ".*"):
            pid = path.rsplit(".", 1)[1].split("-")[0]
            if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
                continue
            with contextlib.suppress(OSError, ValueError):
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        topic, partition, offset = line.rstrip("\n").rsplit(" ", 2)
                        self.suspects.add((topic, int(partition), int(offset)))
                os.remove(path)
        if self.suspects:
            log.warning(
                "%d item(s) a pipeline process was working when it died (%s): worked in isolated workers",
                len(self.suspects),
                self.prefix,
            )
        self._path = f"{self.prefix}.{os.getpid()}-{next(_INSTANCES)}"  # (two DoFn instances in one process)
        self._fd = os.open(self._path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
        return self

    def working(self, coords: list[Coordinates]) -> None:
        if self._fd is not None:
            data = "".join(f"{t} {p} {o}\n" for t, p, o in coords).encode()
            os.pwrite(self._fd, data, 0)
            os.ftruncate(self._fd, len(data))

    def done(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            with contextlib.suppress(OSError):
                os.remove(self._path)
