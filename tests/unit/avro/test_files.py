"""Rolling Avro files: published at bundle end, rolled by size and time, never a complete-looking partial file."""

from __future__ import annotations

import os
from pathlib import Path

import fastavro

from pipeline.avro import codec
from pipeline.avro.files import OPEN, RollingAvroWriter, finalize_orphans
from pipeline.avro.schemas import schema
from pipeline.model import Failure
from tests.support import Clock


def records(n: int, start: int = 0) -> list[dict]:
    return [
        codec.failure_to_avro(
            Failure("decode", f"r{i} " + "x" * 300, "E", os.urandom(200), 1_700_000_000_000 + i)
        )
        for i in range(start, start + n)
    ]


def writer(tmp_path: Path, clock: Clock, **kw: object) -> RollingAvroWriter:
    return RollingAvroWriter(
        str(tmp_path), schema("failure").parsed, prefix="f", clock=clock, worker="w1", **kw
    )


def read(path: Path) -> list[dict]:
    with open(path, "rb") as fh:
        return list(fastavro.reader(fh))


def test_bundles_append_to_one_open_file_until_the_roll_is_old(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000.0)
    w = writer(tmp_path, clock, roll_seconds=60)
    for bundle in range(3):
        w.write(records(5, bundle * 5))
        w.publish()  # finish_bundle: everything so far is durable, in one complete file
        (only,) = os.listdir(tmp_path)
        assert only.startswith(OPEN) and len(read(tmp_path / only)) == 5 * (bundle + 1)
        clock.t += 10
    clock.t += 60
    w.write(records(1, 15))
    w.publish()
    (final,) = os.listdir(tmp_path)
    assert final == "f-20231114T221320Z-w1-00001.avro" and len(read(tmp_path / final)) == 16


def test_rolls_by_size_within_a_bundle(tmp_path: Path) -> None:
    w = writer(tmp_path, Clock(), roll_bytes=40_000, codec="null")
    w.write(records(400))
    w.publish()
    w.roll()
    names = sorted(os.listdir(tmp_path))
    assert len(names) >= 3 and not any(n.startswith((".", "_")) for n in names)
    assert sum(len(read(tmp_path / n)) for n in names) == 400
    assert all(os.path.getsize(tmp_path / n) < 40_000 + 20_000 for n in names)  # within one fastavro block


def test_a_crash_leaves_only_hidden_or_open_files_and_orphans_get_finalized(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000.0)
    w = writer(tmp_path, clock, roll_seconds=60)
    w.write(records(3))
    w.publish()
    w.write(records(2, 3))  # written, bundle never finished: the process dies here
    (tmp_path / ".tmp-f-partial.avro").write_bytes(b"Obj\x01 half")
    visible = [n for n in os.listdir(tmp_path) if not n.startswith((".", "_"))]
    assert visible == []
    assert finalize_orphans(str(tmp_path), older_than_s=120, now=clock.t + 30) == []
    done = finalize_orphans(str(tmp_path), older_than_s=120, now=clock.t + 200)
    assert [Path(p).name for p in done] == ["f-20231114T221320Z-w1-00001.avro"]
    assert len(read(Path(done[0]))) == 3


def test_zstandard_codec(tmp_path: Path) -> None:
    w = writer(tmp_path, Clock(), codec="zstandard")
    w.write(records(10))
    w.roll()
    (name,) = os.listdir(tmp_path)
    with open(tmp_path / name, "rb") as fh:
        reader = fastavro.reader(fh)
        assert reader.codec == "zstandard" and len(list(reader)) == 10
