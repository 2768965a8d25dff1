"""One Avro container file of one partition's offset range, streamed to a temporary name and published whole.

In: ``news_item`` records with their offsets, in offset order: decoded (``append``), or as the Avro datum the topic
holds when it was written with the file's own schema (``append_datum``: copied into the block as it is, no decode and
encode; the same bytes fastavro writes for the decoded record).  Out: on ``publish()``, the finished ``RangeFile``
(fsynced, then renamed into place atomically; on object stores, Beam's FileSystems copy + delete).  Memory stays at
one Avro block (~16 KB, fastavro's own block size); bytes written equal the file's size.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from fastavro.write import Writer

from pipeline.files.naming import RangeFile, is_remote, join, remote_fs, temp_name

# datums per block, by uncompressed size: fastavro's default sync interval, which ``append``'s blocks have too
BLOCK_BYTES = 16_000


@dataclass(frozen=True)
class _Block:
    """What ``fastavro.write.Writer.write_block`` reads of a block (``fastavro.read.Block``: its record count and
    its uncompressed datums); the writer compresses it with the file's codec and adds the sync marker."""

    num_records: int
    bytes_: io.BytesIO


class RangeFileWriter:
    def __init__(
        self,
        out_dir: str,
        topic: str,
        partition: int,
        first_offset: int,
        parsed_schema: Any,
        codec: str = "deflate",
        clock: Any = time.monotonic,
    ):
        self.out_dir, self.topic, self.partition, self.first = out_dir, topic, partition, first_offset
        self.last = first_offset - 1
        self.records = 0
        self.payload_bytes = 0
        self.opened_at = clock()
        self.tmp = join(out_dir, temp_name(topic, partition, first_offset))
        if is_remote(out_dir):
            self.fh: BinaryIO = remote_fs().create(self.tmp)
        else:
            os.makedirs(out_dir, exist_ok=True)
            self.fh = open(self.tmp, "wb")  # noqa: SIM115 - closed in publish()/abort()
        self.writer = Writer(self.fh, parsed_schema, codec=codec, options={"strict_allow_default": True})
        self._datums: list[bytes | memoryview] = []  # append_datum's, not yet in a block
        self._datum_bytes = 0

    def append(self, record: dict[str, Any], offset: int, size: int) -> None:
        self._check(offset)
        self._write_datums()  # the datums before it, in order
        self.writer.write(record)
        self._count(offset, size)

    def append_datum(self, datum: bytes | memoryview, offset: int, size: int) -> None:
        """A record already Avro-encoded with this file's schema (``codec.datum_of`` checked it)."""
        self._check(offset)
        self._datums.append(datum)
        self._datum_bytes += len(datum)
        if self._datum_bytes >= BLOCK_BYTES:
            self._write_datums()
        self._count(offset, size)

    def _check(self, offset: int) -> None:
        if offset <= self.last:
            raise ValueError(f"offset {offset} after {self.last}: records must come in offset order")

    def _count(self, offset: int, size: int) -> None:
        self.last = offset
        self.records += 1
        self.payload_bytes += size

    def _write_datums(self) -> None:
        if self._datums:
            self.writer.write_block(_Block(len(self._datums), io.BytesIO(b"".join(self._datums))))
            self._datums.clear()
            self._datum_bytes = 0

    def publish(self) -> RangeFile:
        """Finish the file and give it its final name (the range it holds); the temporary name disappears."""
        done = RangeFile(self.topic, self.partition, self.first, self.last)
        self._write_datums()
        self.writer.flush()
        final = join(self.out_dir, done.name)
        if is_remote(self.out_dir):
            self.fh.close()
            remote_fs().rename([self.tmp], [final])
            return done
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, final)
        _fsync_dir(self.out_dir)
        return done

    def abort(self) -> None:
        """Drop the unfinished file (its records are written again from the topic)."""
        with contextlib.suppress(Exception):
            self.fh.close()
        with contextlib.suppress(Exception):
            if is_remote(self.out_dir):
                remote_fs().delete([self.tmp])
            else:
                os.remove(self.tmp)


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened for fsync
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
