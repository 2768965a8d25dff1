"""The file sink's fast path: a news item written with the files' own schema is checked whole and copied into the
file as its Avro datum (codec.datum_of, RangeFileWriter.append_datum); every other record still goes through
decode.  A file written from datums reads back as the records decoded one by one."""

from __future__ import annotations

import uuid
from pathlib import Path

import fastavro
import pytest

from pipeline.avro import codec
from pipeline.avro.schemas import schema
from pipeline.files.writer import BLOCK_BYTES, RangeFileWriter
from pipeline.model import EnrichedDispatch, Enrichment, Failure
from tests.support import dispatch, older_item


def item(i: int, body_chars: int = 3000) -> bytes:
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"datum/{i}"))
    d = dispatch(f"https://example.org/{i}", f"Corps {i}. " + "x" * body_chars).replace(id=uid, story_id=uid)
    return codec.encode("news_item", codec.news_item_to_avro(EnrichedDispatch(d, Enrichment())))


def test_a_current_news_item_is_its_own_datum() -> None:
    data = item(1)
    assert bytes(codec.datum_of("news_item", data)) == data[10:]


@pytest.mark.parametrize(
    "case",
    ["older version", "another schema", "garbage body", "truncated", "trailing byte", "no header", "empty"],
)
def test_anything_else_takes_the_decode_path(case: str) -> None:
    data = item(2)
    bad = {
        "older version": lambda: older_item(data),
        "another schema": lambda: codec.encode_failure(Failure("decode", "r", "E", b"x", 1)),
        "garbage body": lambda: data[:10] + b"\xff" * 40,
        "truncated": lambda: data[: len(data) // 2],
        "trailing byte": lambda: data + b"\x00",
        "no header": lambda: data[10:],
        "empty": lambda: b"",
    }[case]()
    assert codec.datum_of("news_item", bad) is None
    if case in ("garbage body", "truncated"):  # and decode, which the sink falls back to, refuses it too
        with pytest.raises(codec.AvroDecodeError):
            codec.decode("news_item", bad)


def test_datums_and_decoded_records_interleave_in_offset_order(tmp_path: Path) -> None:
    values = [item(i) for i in range(20)]
    values[7] = older_item(values[7])  # decoded and written as a record between datums
    assert sum(len(v) for v in values) > 2 * BLOCK_BYTES  # several blocks of datums
    w = RangeFileWriter(str(tmp_path), "t", 0, 0, schema("news_item").parsed)
    for offset, v in enumerate(values):
        datum = codec.datum_of("news_item", v)
        if datum is None:
            w.append(codec.decode("news_item", v), offset, len(v))
        else:
            w.append_datum(datum, offset, len(v))
    done = w.publish()
    assert (done.first, done.last) == (0, 19)
    with open(tmp_path / done.name, "rb") as fh:
        got = list(fastavro.reader(fh))
    with open(tmp_path / done.name, "rb") as fh:
        blocks = sum(1 for _ in fastavro.block_reader(fh))
    assert got == [codec.decode("news_item", v) for v in values]
    assert blocks >= 3
