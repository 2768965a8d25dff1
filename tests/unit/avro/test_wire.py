"""Wire formats: magic-byte detection, Confluent framing and subject strategies, interop with confluent-kafka."""

from __future__ import annotations

import struct

import pytest

from pipeline.avro import codec
from pipeline.avro.registry import MemorySchemaRegistry, registry_from_url, subject_name
from pipeline.avro.wire import (
    ConfluentEncoder,
    SingleObjectEncoder,
    WireDecoder,
    fullname,
    schema_text,
    wire_format_of,
)
from pipeline.model import Failure, RawEntry

ENTRY = RawEntry(feed_url="http://127.0.0.1/f.xml", entry_key="guid:1", content_hash="h", title="Kyiv")
FAILURE = Failure("decode", "bad", "AvroDecodeError", b"\x00\xff", 1_700_000_000_000, "raw", 0, 3)


@pytest.mark.parametrize(
    "strategy, subject",
    [
        ("topic", "news.items-value"),
        ("record", "news.pipeline.NewsItem"),
        ("topic-record", "news.items-news.pipeline.NewsItem"),
    ],
)
def test_subject_naming_strategies(strategy: str, subject: str) -> None:
    assert subject_name(strategy, "news.items", fullname("news_item")) == subject  # type: ignore[arg-type]


def test_confluent_framing_registers_once_and_round_trips() -> None:
    registry = MemorySchemaRegistry()
    enc = ConfluentEncoder(registry, "news.raw", "topic-record")
    data = enc.encode("raw_entry", codec.raw_entry_to_avro(ENTRY))
    data2 = enc.encode("raw_entry", codec.raw_entry_to_avro(ENTRY))
    assert data == data2 and data[:1] == b"\x00"
    schema_id = struct.unpack(">I", data[1:5])[0]
    assert registry.subjects == {"news.raw-news.pipeline.RawEntry": [schema_id]}
    assert wire_format_of(data) == "confluent"
    name, record = WireDecoder(registry).decode(data)
    assert name == "raw_entry" and record["entry_key"] == "guid:1"


def test_decoder_tells_the_formats_apart_by_magic_byte() -> None:
    registry = registry_from_url("mock://wire-test")
    assert registry is registry_from_url("mock://wire-test")
    single = SingleObjectEncoder().encode("failure", codec.failure_to_avro(FAILURE))
    confluent = ConfluentEncoder(registry, "news.dlq").encode("failure", codec.failure_to_avro(FAILURE))
    decoder = WireDecoder(registry)
    assert wire_format_of(single) == "single-object"
    assert decoder.decode_json(single) == decoder.decode_json(confluent)
    with pytest.raises(codec.AvroDecodeError, match="needs a schema registry"):
        WireDecoder().decode(confluent)
    with pytest.raises(codec.AvroDecodeError, match="neither"):
        decoder.decode(b"{json}")


def test_bytes_decode_with_confluent_kafkas_own_deserializer() -> None:
    """Interop: confluent-kafka's AvroDeserializer (its in-process mock registry) reads what we write."""
    import confluent_kafka.schema_registry as sr
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    # SchemaRegistryClient.new_client returns the in-process MockSchemaRegistryClient for mock:// URLs
    client = sr.SchemaRegistryClient.new_client({"url": "mock://interop"})

    class Adapter:  # our SchemaRegistry protocol over their client: ids come from confluent's registry
        def register(self, subject: str, schema_str: str) -> int:
            return client.register_schema(subject, sr.Schema(schema_str, "AVRO"))

        def schema_by_id(self, schema_id: int) -> str:
            return client.get_schema(schema_id).schema_str

    data = ConfluentEncoder(Adapter(), "news.raw").encode("raw_entry", codec.raw_entry_to_avro(ENTRY))
    theirs = AvroDeserializer(client)(data, SerializationContext("news.raw", MessageField.VALUE))
    ours = codec.raw_entry_to_avro(ENTRY)
    assert codec.jsonable(theirs) == ours
    assert client.get_latest_version("news.raw-value").schema.schema_str == schema_text("raw_entry")


def test_single_object_header_is_fastavros_fingerprint() -> None:
    """The 8 header bytes are fastavro's CRC-64-AVRO fingerprint of the parsing canonical form (the spec's own
    algorithm is checked in test_codec.py).  Apache's ``avro`` package 1.12 is not used as a reference: its canonical
    form keeps ``{"type":"long"}`` for logical types instead of the spec's ``"long"``, so its fingerprints differ."""
    from fastavro.schema import fingerprint, to_parsing_canonical_form

    from pipeline.avro.schemas import schema

    for name, data in [
        ("raw_entry", codec.encode_raw_entry(ENTRY)),
        ("failure", codec.encode_failure(FAILURE)),
    ]:
        canonical = to_parsing_canonical_form(schema(name).parsed)
        assert data[2:10] == bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
