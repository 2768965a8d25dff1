"""Range files: a name is the offset range it holds, a file appears only complete, leftovers are cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import fastavro
import pytest

from pipeline.avro import codec
from pipeline.avro.schemas import schema
from pipeline.files import naming
from pipeline.files.writer import RangeFileWriter
from pipeline.model import Failure


def records(n: int) -> list[dict]:
    return [
        codec.failure_to_avro(Failure("decode", f"r{i}", "E", os.urandom(64), 1_700_000_000_000 + i))
        for i in range(n)
    ]


def test_names_sort_in_offset_order_and_parse_back() -> None:
    files = [naming.RangeFile("news.items", 1, a, b) for a, b in ((1000, 1999), (5, 999), (0, 4))]
    names = sorted(f.name for f in files)
    assert [naming.parse(n) for n in names] == sorted(files)
    assert naming.parse(".tmp-news.items+1+0000000000000000000.avro") is None
    assert naming.parse("news_items-20240101T000000Z-w-00001.avro") is None


def test_next_offsets_resume_after_the_last_finished_file_per_partition(tmp_path: Path) -> None:
    for f in (
        naming.RangeFile("t", 0, 0, 9),
        naming.RangeFile("t", 0, 10, 41),
        naming.RangeFile("t", 2, 7, 7),
    ):
        (tmp_path / f.name).write_bytes(b"")
    (tmp_path / naming.RangeFile("other", 0, 0, 99).name).write_bytes(b"")
    (tmp_path / naming.temp_name("t", 1, 0)).write_bytes(b"")
    assert naming.next_offsets(str(tmp_path), "t") == {0: 42, 2: 8}


def test_a_file_is_visible_only_when_published_and_holds_its_range(tmp_path: Path) -> None:
    rs = records(25)
    w = RangeFileWriter(str(tmp_path), "t", 3, 100, schema("failure").parsed)
    for i, r in enumerate(rs):
        w.append(r, 100 + 2 * i, 10)  # offsets may have gaps (compaction, transaction markers)
    assert naming.finished(str(tmp_path)) == []
    assert os.listdir(tmp_path) == [naming.temp_name("t", 3, 100)]
    done = w.publish()
    assert done == naming.RangeFile("t", 3, 100, 148)
    assert os.listdir(tmp_path) == [done.name]
    with open(tmp_path / done.name, "rb") as fh:
        assert [r["reason"] for r in fastavro.reader(fh)] == [r["reason"] for r in rs]


def test_offsets_must_increase(tmp_path: Path) -> None:
    w = RangeFileWriter(str(tmp_path), "t", 0, 5, schema("failure").parsed)
    w.append(records(1)[0], 5, 1)
    with pytest.raises(ValueError):
        w.append(records(1)[0], 5, 1)
    w.abort()
    assert os.listdir(tmp_path) == []


def test_remove_temp_deletes_only_this_topics_unfinished_files(tmp_path: Path) -> None:
    keep = [naming.RangeFile("t", 0, 0, 9).name, naming.temp_name("u", 0, 0)]
    for name in [*keep, naming.temp_name("t", 0, 10), naming.temp_name("t", 1, 0)]:
        (tmp_path / name).write_bytes(b"x")
    removed = naming.remove_temp(str(tmp_path), "t")
    assert len(removed) == 2
    assert sorted(os.listdir(tmp_path)) == sorted(keep)


def test_an_earlier_releases_open_files_get_their_final_names(tmp_path: Path) -> None:
    (tmp_path / "_open-news_items-20240101T000000Z-w1-00001.avro").write_bytes(b"x")
    (tmp_path / "_open-notes.txt").write_bytes(b"x")
    naming.finalize_legacy(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["_open-notes.txt", "news_items-20240101T000000Z-w1-00001.avro"]
