"""The file sink beside the local pipeline, in its own process: settings in, Avro files out (sink.py does the work).

A thread in the pipeline process would compete with the pipeline for the GIL (measured: the NER-off drain's steady
rate fell from ~100 to ~70 items/s with the sink as a thread); a spawned process uses another core instead.  The
parent talks to it over a pipe: ``finish()`` sends ``stop`` with the topic's ends after the pipeline's last write
(the sink then catches up to them and finishes its open files) and receives the sink's numbers or its error.  If the
parent dies (SIGKILL), the pipe closes and the child exits at once without publishing: a restarted sink removes the
temporary files and resumes after the last finished file (sink.py), so nothing is lost or doubled.  The child
ignores SIGINT/SIGTERM: a signal to the process group stops the pipeline, and the pipeline stops the sink after its
last writes.

If the sink process dies without reporting an error (SIGKILL, the kernel's out-of-memory killer), the pipeline
process starts a new one (at most ``MAX_RESTARTS`` times a run), which removes the dead one's temporary files and
resumes after its last finished file, exactly as after a restart of the whole run: the files keep following the
topic during a stream, and a drain still ends with every record in them.  An error the sink reports ends the run
(``finish`` raises it).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_any

from pipeline.files.sink import FileSink, file_sink
from pipeline.ops.exit import skip_final_gc
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)
STOP = "stop"
MAX_RESTARTS = 5  # sink processes started again in one run after dying silently; then the run reports it


@dataclass(frozen=True)
class SinkSummary:
    records: int
    files: int
    dead_letters: int


def _watch_parent(conn: Connection, stop: threading.Event, sink: FileSink) -> None:
    try:
        msg = conn.recv()
    except (
        EOFError,
        OSError,
    ):  # the parent is gone: leave now, a restarted sink cleans up (module docstring)
        os._exit(70)
    if isinstance(msg, tuple) and msg[0] == STOP:  # (STOP, the topic's ends after the pipeline's last write)
        sink.stop_at = msg[1]
        stop.set()
    elif msg == STOP:
        stop.set()


def _child(settings: PipelineSettings, conn: Connection, log_level: int) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(levelname)s file-sink: %(message)s")
    skip_final_gc()  # finish() waits for this process's exit (pipeline/ops/exit.py)
    stop = threading.Event()
    sink = file_sink(settings)
    threading.Thread(target=_watch_parent, args=(conn, stop, sink), daemon=True, name="parent").start()
    try:
        st = sink.run(stop=stop)
        conn.send(SinkSummary(st.records, len(st.files), st.dead_letters))
    except BaseException as exc:  # reported by the parent's finish()
        conn.send(f"{type(exc).__name__}: {exc}")
        raise SystemExit(1) from exc


class FileSinkProcess:
    """Start the sink in a spawned process now, and again if it dies (module docstring); ``finish()`` stops it after
    it caught up and raises its error."""

    def __init__(self, settings: PipelineSettings):
        self._settings = settings
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Beam's gRPC threads
        self._level = logging.getLogger("pipeline").getEffectiveLevel()
        self._lock = threading.Lock()
        self._finishing = threading.Event()
        self._reported: SinkSummary | str | None = None  # what a sink that ended by itself sent
        self.restarts = 0
        self._start()
        threading.Thread(target=self._supervise, daemon=True, name="file-sink-watch").start()

    def _start(self) -> None:
        self._conn, child_conn = self._ctx.Pipe()
        self.process = self._ctx.Process(
            target=_child, args=(self._settings, child_conn, self._level), name="file-sink", daemon=False
        )
        self.process.start()
        child_conn.close()

    def _restart_if_silent(self) -> bool:
        """Under the lock, with ``self.process`` ended: start a new one if it died without a word (True)."""
        try:
            self._reported = self._conn.recv() if self._conn.poll() else None
        except (EOFError, OSError):
            self._reported = None
        if self._reported is not None or self.restarts >= MAX_RESTARTS:
            return False
        self.restarts += 1
        log.warning(
            "file sink process died (exit code %s); starting a new one (%d of at most %d this run)",
            self.process.exitcode,
            self.restarts,
            MAX_RESTARTS,
        )
        self._conn.close()
        self._start()
        return True

    def _supervise(self) -> None:
        # Reaping (is_alive, join) only under the lock and never once finish() began: two threads waiting for one
        # child race, and the loser reads no exit code.
        while not self._finishing.is_set():
            wait_any([self.process.sentinel], timeout=1.0)
            with self._lock:
                if self._finishing.is_set() or self.process.is_alive():
                    continue
                self.process.join()
                if not self._restart_if_silent():  # finish() raises it; said now for a stream that runs on
                    log.error("file sink stopped: %s", self._reported or f"exit code {self.process.exitcode}")
                    return

    def finish(self, ends: dict[int, int] | None = None) -> SinkSummary:
        """Stop the sink once it has every record up to ``ends`` (partition -> offset; None: the end it sees)."""
        with self._lock:
            self._finishing.set()
            if not self.process.is_alive() and self._reported is None:
                self.process.join()
                self._restart_if_silent()  # died since the last look: a new one catches up now
        result = self._reported
        if self.process.is_alive() or result is None:
            with contextlib.suppress(OSError):  # the child already ended (its error is read below)
                self._conn.send((STOP, ends) if ends is not None else STOP)
            with contextlib.suppress(EOFError, OSError):
                result = self._conn.recv()
        self.process.join()
        self._conn.close()
        if not isinstance(result, SinkSummary):
            raise RuntimeError(f"file sink failed: {result or f'exit code {self.process.exitcode}'}")
        log.info("file sink: %d records in %d new files", result.records, result.files)
        return result
