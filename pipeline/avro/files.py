"""Avro container files for downstream storage: ``news_item`` dicts -> rolled ``<out>/news_items-*.avro`` files.

Three names, so a reader can always tell what a file is (local paths and ``gs://`` through Beam's FileSystems):

* ``.tmp-<name>``  being written; never complete, never read.
* ``_open-<name>`` a complete, valid container file holding every record of the worker's current roll whose
  bundle has finished.  It is rewritten (tmp + rename) at every ``finish_bundle`` — before the Kafka source's
  bundle finalizer commits the offsets — so nothing acknowledged is ever only in memory.  Tools that skip ``_``
  and ``.`` files (Spark, Hive, most loaders) do not see it yet.
* ``<name>``        final and immutable: the ``_open-`` file renamed when it reached ``roll_bytes`` or had been open
  ``roll_seconds`` (checked at bundle end), or when the worker shut down.  ``<name>`` is
  ``<prefix>-<window start UTC>-<worker>-<seq>.avro``.

A worker that dies leaves at most one ``_open-`` file; any worker's ``setup`` finalizes ``_open-`` files whose roll
window ended more than ``2 * roll_seconds`` ago.  Cost: each bundle rewrites the open roll, so bytes written per
bundle are bounded by ``roll_bytes`` (docs/output-contract.md has the trade-off).
"""

from __future__ import annotations

import calendar
import contextlib
import io
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from fastavro.write import Writer

from pipeline.avro.schemas import schema

OPEN = "_open-"
TMP = ".tmp-"
STAMP = "%Y%m%dT%H%M%SZ"


class RollingAvroWriter:
    """One worker's current roll, kept as Avro blocks in memory and published as a whole file on ``publish()``."""

    def __init__(
        self,
        out_dir: str,
        parsed_schema: Any,
        prefix: str = "news_items",
        codec: str = "deflate",
        roll_bytes: int = 64 * 1024 * 1024,
        roll_seconds: float = 300.0,
        clock: Callable[[], float] = time.time,
        worker: str | None = None,
    ):
        self.out_dir = out_dir.rstrip("/")
        self.parsed = parsed_schema
        self.prefix = prefix
        self.codec = codec
        self.roll_bytes = roll_bytes
        self.roll_seconds = roll_seconds
        self.clock = clock
        self.worker = worker or uuid.uuid4().hex[:8]
        self.seq = 0
        self.finals: list[str] = []  # paths of files this writer finalized (tests, metrics)
        self._reset()

    def _reset(self) -> None:
        self.buf: io.BytesIO | None = None
        self.writer: Writer | None = None
        self.count = 0
        self.opened_at = 0.0
        self.name = ""
        self.published_count = 0  # records already in the visible _open- file

    def _open(self) -> None:
        self.opened_at = self.clock()
        self.seq += 1
        stamp = time.strftime(STAMP, time.gmtime(self.opened_at))
        self.name = f"{self.prefix}-{stamp}-{self.worker}-{self.seq:05d}.avro"
        self.buf = io.BytesIO()
        self.writer = Writer(self.buf, self.parsed, codec=self.codec, options={"strict_allow_default": True})

    def size(self) -> int:
        """Bytes of the roll's flushed (compressed) blocks; fastavro flushes a block every ~16 KB of records."""
        return 0 if self.buf is None else self.buf.tell()

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            if self.writer is None:
                self._open()
            assert self.writer is not None
            self.writer.write(record)
            self.count += 1
            if self.size() >= self.roll_bytes:
                self.roll()

    def publish(self) -> None:
        """Bundle end: make every record written so far durable and visible; roll if the roll is full or old."""
        if self.writer is None or self.count == 0:
            return
        if self.size() >= self.roll_bytes or self.clock() - self.opened_at >= self.roll_seconds:
            self.roll()
        elif self.count > self.published_count:
            self._write_file(OPEN + self.name)
            self.published_count = self.count

    def roll(self) -> None:
        """Publish the current roll under its final name and start a new one on the next record."""
        if self.writer is None or self.count == 0:
            self._reset()
            return
        final = self._write_file(self.name)
        opened = FileSystems.join(self.out_dir, OPEN + self.name)
        if self.published_count and FileSystems.exists(opened):
            FileSystems.delete([opened])
        self.finals.append(final)
        self._reset()

    def _write_file(self, name: str) -> str:
        assert self.writer is not None and self.buf is not None
        self.writer.flush()
        tmp = FileSystems.join(self.out_dir, TMP + name)
        final = FileSystems.join(self.out_dir, name)
        with FileSystems.create(tmp) as fh:
            fh.write(self.buf.getbuffer())
        FileSystems.rename(
            [tmp], [final]
        )  # replaces an earlier _open- version atomically (os.rename, GCS copy)
        return final


def finalize_orphans(out_dir: str, older_than_s: float, now: float) -> list[str]:
    """Rename ``_open-`` files whose roll window started before ``now - older_than_s`` to their final names."""
    done = []
    pattern = FileSystems.join(out_dir.rstrip("/"), OPEN + "*.avro")
    for result in FileSystems.match([pattern]):
        for meta in result.metadata_list:
            base = meta.path.rsplit("/", 1)[-1]
            name = base[len(OPEN) :]
            try:
                stamp = name.split("-")[1]
                started = calendar.timegm(time.strptime(stamp, STAMP))
            except (IndexError, ValueError):
                continue
            if started > now - older_than_s:
                continue
            final = FileSystems.join(out_dir.rstrip("/"), name)
            with contextlib.suppress(Exception):  # another worker may be finalizing it right now
                if FileSystems.exists(final):
                    FileSystems.delete([meta.path])  # a rename that crashed after its copy (GCS)
                else:
                    FileSystems.rename([meta.path], [final])
                done.append(final)
    return done


class WriteAvroFilesFn(beam.DoFn):
    """Append each bundle's records to this worker's roll; publish at bundle end; roll by size and time."""

    def __init__(
        self,
        out_dir: str,
        prefix: str = "news_items",
        codec: str = "deflate",
        clock: Callable[[], float] = time.time,
        roll_bytes: int = 64 * 1024 * 1024,
        roll_seconds: float = 300.0,
    ):
        self.out_dir = out_dir.rstrip("/")
        self.prefix = prefix
        self.codec = codec
        self.clock = clock
        self.roll_bytes = roll_bytes
        self.roll_seconds = roll_seconds
        self.files = Metrics.counter("avro_files", "files_finalized")
        self.records = Metrics.counter("avro_files", "records_written")

    def setup(self) -> None:
        if not FileSystems.exists(self.out_dir):
            with contextlib.suppress(OSError):  # another worker may have created it meanwhile
                FileSystems.mkdirs(self.out_dir)
        finalize_orphans(self.out_dir, 2 * self.roll_seconds, self.clock())
        self.roller = RollingAvroWriter(
            self.out_dir,
            schema("news_item").parsed,
            self.prefix,
            self.codec,
            self.roll_bytes,
            self.roll_seconds,
            self.clock,
        )

    def process(self, record: dict[str, Any]) -> None:
        self.roller.write((record,))
        self.records.inc()

    def finish_bundle(self) -> None:
        before = len(self.roller.finals)
        self.roller.publish()
        self.files.inc(len(self.roller.finals) - before)

    def teardown(self) -> None:
        roller = getattr(self, "roller", None)
        if roller is not None:
            roller.roll()
