"""Single-object encoding: round trips, header/fingerprint per the Avro spec, clear errors on bad bytes."""

from __future__ import annotations

import pytest

from pipeline.avro.codec import (
    SINGLE_OBJECT_MAGIC,
    AvroDecodeError,
    decode_any,
    decode_failure,
    decode_raw_entry,
    encode_failure,
    encode_raw_entry,
)
from pipeline.avro.schemas import NAMES, schema, writers_by_fingerprint
from pipeline.model import Failure, RawEntry

# CRC-64-AVRO as specified (https://avro.apache.org/docs/current/specification/#schema-fingerprints), written from
# the spec's reference code so the test does not trust fastavro to check fastavro.
EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return table


def spec_fingerprint(canonical: str) -> bytes:
    table = _table()
    fp = EMPTY
    for byte in canonical.encode("utf-8"):
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp.to_bytes(8, "little")


@pytest.mark.parametrize("name", NAMES)
def test_fingerprint_matches_the_spec_algorithm(name: str) -> None:
    from fastavro.schema import to_parsing_canonical_form

    s = schema(name)
    assert s.fingerprint == spec_fingerprint(to_parsing_canonical_form(s.parsed))
    assert writers_by_fingerprint()[s.fingerprint].name == name


def test_raw_entry_round_trip_keeps_every_field() -> None:
    entry = RawEntry(
        feed_url="http://127.0.0.1/feed.xml",
        entry_key="guid:abc",
        content_hash="0" * 64,
        guid="abc",
        link="/a?utm_source=x",
        title="Poutine se rend en Biélorussie",
        content="<p>KYIV (Reuters) - …</p>",
        content_type="text/html",
        authors=("Valentyn Origienko", "Tom Balmforth"),
        categories=("Monde",),
        published_raw="Mon, 19 Dec 2022 08:47:00 +0100",
        fetched_at_ms=1_671_436_020_123,
        http_status=200,
        is_update=True,
    )
    data = encode_raw_entry(entry)
    assert data[:2] == SINGLE_OBJECT_MAGIC
    assert data[2:10] == schema("raw_entry").fingerprint
    assert decode_raw_entry(data) == entry


def test_failure_round_trip_keeps_original_bytes() -> None:
    failure = Failure(
        "decode", "not avro", "AvroDecodeError", b"\x00\xff garbage", 1_700_000_000_000, "raw", 0, 7
    )
    name, record = decode_any(encode_failure(failure))
    assert name == "failure" and record["source_offset"] == 7
    assert decode_failure(encode_failure(failure)) == failure


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "missing C3 01"),
        (b"plain text, not avro", "missing C3 01"),
        (SINGLE_OBJECT_MAGIC + b"\x00" * 8 + b"x", "unknown schema fingerprint"),
    ],
)
def test_bad_bytes_raise_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(AvroDecodeError, match=message):
        decode_raw_entry(data)


def test_truncated_record_is_a_decode_error() -> None:
    data = encode_raw_entry(RawEntry(feed_url="u", entry_key="k", content_hash="h", title="x" * 50))
    with pytest.raises(AvroDecodeError):
        decode_raw_entry(data[:20])


def test_a_failure_record_is_not_a_raw_entry() -> None:
    data = encode_failure(Failure("poll", "r", "E", None, 1))
    with pytest.raises(AvroDecodeError, match="expected a raw_entry"):
        decode_raw_entry(data)
