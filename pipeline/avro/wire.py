"""Wire formats on Kafka: Avro single-object encoding (default) and the Confluent wire format (with a registry).

Out (encode): ``C3 01`` + 8-byte little-endian CRC-64-AVRO fingerprint + Avro body, self-describing with no
registry; or ``00`` + 4-byte big-endian schema id + Avro body, the schema registered under a subject chosen by
the naming strategy.  In (decode): either, told apart by the first byte; records written with any older schema
version are resolved to the current schema of the same name.
"""

from __future__ import annotations

import functools
import io
import json
import struct
from typing import Any, Literal, Protocol

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import parse_schema

from pipeline.avro import codec
from pipeline.avro.registry import SchemaRegistry, SubjectStrategy, subject_name
from pipeline.avro.schemas import NAMES, schema

CONFLUENT_MAGIC = b"\x00"
WireFormat = Literal["single-object", "confluent"]


class Encoder(Protocol):
    def encode(self, name: str, record: dict[str, Any]) -> bytes: ...


def wire_format_of(data: bytes | None) -> WireFormat | None:
    """Which wire format ``data`` is in, from its first bytes (None: neither)."""
    if data and len(data) >= 10 and data[:2] == codec.SINGLE_OBJECT_MAGIC:
        return "single-object"
    if data and len(data) >= 5 and data[:1] == CONFLUENT_MAGIC:
        return "confluent"
    return None


def fullname(name: str) -> str:
    raw = schema(name).raw
    return f"{raw['namespace']}.{raw['name']}" if raw.get("namespace") else raw["name"]


@functools.cache
def schema_text(name: str) -> str:
    """The schema as registered: the .avsc JSON, compact (docs kept so the registry documents the contract)."""
    return json.dumps(schema(name).raw, separators=(",", ":"), ensure_ascii=False)


class SingleObjectEncoder:
    """Avro single-object encoding; no registry needed."""

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        return codec.encode(name, record)


class ConfluentEncoder:
    """Confluent wire format; registers each schema once per process under the strategy's subject."""

    def __init__(self, registry: SchemaRegistry, topic: str, strategy: SubjectStrategy = "topic"):
        self.registry = registry
        self.topic = topic
        self.strategy = strategy
        self._ids: dict[str, bytes] = {}

    def header(self, name: str) -> bytes:
        head = self._ids.get(name)
        if head is None:
            subject = subject_name(self.strategy, self.topic, fullname(name))
            head = CONFLUENT_MAGIC + struct.pack(">I", self.registry.register(subject, schema_text(name)))
            self._ids[name] = head
        return head

    def encode(self, name: str, record: dict[str, Any]) -> bytes:
        buf = io.BytesIO()
        buf.write(self.header(name))
        schemaless_writer(buf, schema(name).parsed, record, strict_allow_default=True)
        return buf.getvalue()


class WireDecoder:
    """Decode either wire format into ``(schema name, record)``; Confluent bytes need a registry."""

    def __init__(self, registry: SchemaRegistry | None = None):
        self.registry = registry
        self._writers: dict[int, tuple[str, Any, Any]] = {}  # id -> (name, writer parsed, reader parsed)

    def decode(self, data: bytes | None) -> tuple[str, dict[str, Any]]:
        fmt = wire_format_of(data)
        if fmt == "single-object":
            assert data is not None
            writer = codec.writer_of(data)
            return writer.name, codec.decode(writer.name, data)
        if fmt == "confluent":
            assert data is not None
            return self._decode_confluent(data)
        raise codec.AvroDecodeError("neither Avro single-object (C3 01) nor Confluent (00 + id) wire format")

    def decode_json(self, data: bytes | None) -> tuple[str, dict[str, Any]]:
        """As ``decode``, with JSON-ready values (timestamps as epoch millis, UUIDs as strings)."""
        if wire_format_of(data) == "single-object":
            assert data is not None
            name = codec.writer_of(data).name
            return name, codec.decode_jsonable(name, data)
        name, record = self.decode(data)
        return name, codec.jsonable(record)

    def _decode_confluent(self, data: bytes) -> tuple[str, dict[str, Any]]:
        if self.registry is None:
            raise codec.AvroDecodeError("Confluent wire format needs a schema registry (--schema-registry)")
        (schema_id,) = struct.unpack(">I", data[1:5])
        entry = self._writers.get(schema_id)
        if entry is None:
            entry = self._writers[schema_id] = self._resolve(schema_id)
        name, writer, reader = entry
        try:
            return name, schemaless_reader(io.BytesIO(data[5:]), writer, reader)
        except Exception as exc:  # fastavro raises a mix of EOFError/ValueError/IndexError/...
            raise codec.AvroDecodeError(f"corrupt {name} record: {type(exc).__name__}: {exc}") from exc

    def _resolve(self, schema_id: int) -> tuple[str, Any, Any]:
        assert self.registry is not None
        raw = json.loads(self.registry.schema_by_id(schema_id))
        writer = parse_schema(raw)
        full = f"{raw.get('namespace')}.{raw['name']}" if raw.get("namespace") else raw["name"]
        for name in NAMES:
            if fullname(name) == full:
                return name, writer, schema(name).parsed
        return full, writer, writer  # not one of ours: read it as written
