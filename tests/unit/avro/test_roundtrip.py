"""Round trips for every schema over generated records (hypothesis), in both wire formats."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.avro import codec
from pipeline.avro.registry import MemorySchemaRegistry
from pipeline.avro.schemas import NAMES, history, schema
from pipeline.avro.wire import ConfluentEncoder, SingleObjectEncoder, WireDecoder

PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
    "bytes": st.binary(max_size=40),
    "string": st.text(max_size=40),
}


def strategy(s: Any, named: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A hypothesis strategy for values of an Avro schema (as in the .avsc JSON)."""
    if isinstance(s, str):
        return PRIMITIVES[s] if s in PRIMITIVES else strategy(named[s], named)
    if isinstance(s, list):
        return st.one_of([strategy(branch, named) for branch in s])
    kind = s["type"]
    if kind in ("record", "enum", "fixed"):
        named[s["name"]] = s
        named[f"{s.get('namespace', 'news.pipeline')}.{s['name']}"] = s
    logical = s.get("logicalType")
    if logical == "uuid":
        return st.uuids().map(str)
    if logical == "timestamp-millis":
        return st.integers(0, 253_402_300_799_999)  # up to 9999-12-31, what datetimes can hold
    if kind == "record":
        return st.fixed_dictionaries({f["name"]: strategy(f["type"], named) for f in s["fields"]})
    if kind == "enum":
        return st.sampled_from(s["symbols"])
    if kind == "array":
        return st.lists(strategy(s["items"], named), max_size=3)
    return strategy(kind, named)


REGISTRY = MemorySchemaRegistry()
ENCODERS = {"single-object": SingleObjectEncoder(), "confluent": ConfluentEncoder(REGISTRY, "t", "record")}
DECODER = WireDecoder(REGISTRY)


@pytest.mark.parametrize("fmt", sorted(ENCODERS))
@pytest.mark.parametrize("name", NAMES)
def test_generated_records_round_trip(name: str, fmt: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy(schema(name).raw, {}))
    def check(record: dict[str, Any]) -> None:
        got_name, back = DECODER.decode_json(ENCODERS[fmt].encode(name, record))
        assert got_name == name
        assert back == codec.jsonable(record)

    check()


WRITERS = [(s.name, s) for name in NAMES for s in (*history(name), schema(name))]


@pytest.mark.parametrize(("name", "writer"), WRITERS, ids=[f"{n}-{w.version}" for n, w in WRITERS])
def test_json_ready_decoding_equals_jsonable_of_decode_for_every_writer(name: str, writer) -> None:
    """``decode_jsonable`` (logical types left out) gives what ``jsonable(decode(...))`` gives, for records written
    with every released and the current version of each schema (read into the current one)."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy(writer.raw, {}))
    def check(record: dict[str, Any]) -> None:
        buf = io.BytesIO()
        schemaless_writer(buf, writer.parsed, record, strict_allow_default=True)
        data = codec.SINGLE_OBJECT_MAGIC + writer.fingerprint + buf.getvalue()
        assert codec.decode_jsonable(name, data) == codec.jsonable(codec.decode(name, data))

    check()
