"""Avro container files for downstream storage: ``news_item`` dicts -> ``<out>/news_items-<time>-<uuid>.avro``.

Each bundle's records go to a hidden temporary file that is renamed into place in ``finish_bundle`` — before the
Kafka source commits its offsets — so a crash never leaves a half-written file that looks complete, and nothing
acknowledged is missing from the files.  Works on local paths and ``gs://`` through Beam's FileSystems.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from fastavro import writer

from pipeline.avro.schemas import schema


class WriteAvroFilesFn(beam.DoFn):
    """Buffer a bundle's records, write one compressed container file, publish it by rename."""

    def __init__(
        self,
        out_dir: str,
        prefix: str = "news_items",
        codec: str = "deflate",
        clock: Callable[[], float] = time.time,
    ):
        self.out_dir = out_dir.rstrip("/")
        self.prefix = prefix
        self.codec = codec
        self.clock = clock
        self.files = Metrics.counter("avro_files", "files_written")
        self.records = Metrics.counter("avro_files", "records_written")

    def setup(self) -> None:
        self.parsed = schema("news_item").parsed
        if not FileSystems.exists(self.out_dir):
            with contextlib.suppress(OSError):  # another worker may have created it meanwhile
                FileSystems.mkdirs(self.out_dir)

    def start_bundle(self) -> None:
        self.buffer: list[dict[str, Any]] = []

    def process(self, record: dict[str, Any]) -> None:
        self.buffer.append(record)

    def finish_bundle(self) -> None:
        if not self.buffer:
            return
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.clock()))
        name = f"{self.prefix}-{stamp}-{uuid.uuid4().hex[:12]}.avro"
        tmp = FileSystems.join(self.out_dir, f".tmp-{name}")
        final = FileSystems.join(self.out_dir, name)
        with FileSystems.create(tmp) as fh:
            writer(fh, self.parsed, self.buffer, codec=self.codec, strict_allow_default=True)
        FileSystems.rename([tmp], [final])
        self.files.inc()
        self.records.inc(len(self.buffer))
        self.buffer = []
