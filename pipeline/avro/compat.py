"""Schema evolution check: full transitive compatibility of each current schema with every released version.

In: the current schema and ``schemas/history/<name>.v<N>.avsc``.  Out: a list of problems (empty = compatible).
The check runs real data through fastavro's schema resolution, in both directions for every pair: records
generated from the writer schema (random, seeded, plus one record of minimal values) are encoded with the writer
and read with the reader.  A type change without a usable default, a new field without a default, or a removed
enum symbol without an enum default makes the read fail, and the failure is reported.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Sequence
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.utils import generate_many

from pipeline.avro.schemas import NAMES, LoadedSchema, history, schema


def minimal_record(s: Any, named: dict[str, Any] | None = None) -> Any:
    """Smallest value of a parsed schema: null branches, empty arrays, first enum symbols, zeros."""
    named = {} if named is None else named
    if isinstance(s, str):
        return (
            {
                "null": None,
                "boolean": False,
                "int": 0,
                "long": 0,
                "float": 0.0,
                "double": 0.0,
                "bytes": b"",
                "string": "",
            }.get(s)
            if s not in named
            else minimal_record(named[s], named)
        )
    if isinstance(s, list):
        return minimal_record(s[0], named)
    kind = s["type"]
    if "name" in s and kind in ("record", "enum", "fixed"):
        named[s["name"]] = s
    if s.get("logicalType") == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    if kind == "record":
        return {f["name"]: minimal_record(f["type"], named) for f in s["fields"]}
    if kind == "enum":
        return s["symbols"][0]
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "fixed":
        return b"\x00" * s["size"]
    return minimal_record(kind, named)


def sample_records(writer: LoadedSchema, n: int = 40, seed: int = 7) -> list[Any]:
    state = random.getstate()
    random.seed(seed)  # fastavro's generator uses the global random module
    try:
        records = list(generate_many(writer.parsed, n))
    finally:
        random.setstate(state)
    return [minimal_record(writer.parsed), *records]


def read_problems(writer: LoadedSchema, reader: LoadedSchema, records: Iterable[Any]) -> list[str]:
    """Encode each record with ``writer``, read it with ``reader``; one line per failing read (first only)."""
    for i, record in enumerate(records):
        buf = io.BytesIO()
        schemaless_writer(buf, writer.parsed, record)
        buf.seek(0)
        try:
            schemaless_reader(buf, writer.parsed, reader.parsed)
        except Exception as exc:  # resolution errors come as SchemaResolutionError, ValueError, KeyError, ...
            return [
                f"{reader.name} {reader.version} cannot read record #{i} written with {writer.version}: "
                f"{type(exc).__name__}: {exc}"
            ]
    return []


def check_full_transitive(current: LoadedSchema, released: Sequence[LoadedSchema]) -> list[str]:
    """Problems of ``current`` against every released version, both directions (FULL_TRANSITIVE)."""
    problems: list[str] = []
    current_records = sample_records(current)
    for old in released:
        problems += read_problems(old, current, sample_records(old))  # backward: new code reads old data
        problems += read_problems(current, old, current_records)  # forward: old code reads new data
    return problems


def check_all() -> dict[str, list[str]]:
    """Every schema in ``schemas/`` against its history."""
    return {name: check_full_transitive(schema(name), history(name)) for name in NAMES}
