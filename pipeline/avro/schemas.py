"""The Avro contract: ``schemas/*.avsc`` parsed once per process, with their CRC-64-AVRO fingerprints.

In: the .avsc files shipped with the package (top-level ``schemas/``, installed as ``news_schemas``).
Out: parsed schemas by name, and a fingerprint -> writer-schema table for decoding single-object encoded bytes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

NAMES = ("raw_entry", "news_item", "failure", "duplicate")


@dataclass(frozen=True)
class LoadedSchema:
    name: str  # file stem, e.g. "news_item"
    version: str  # "current" or the history file's version label
    raw: dict[str, Any]
    parsed: Any
    fingerprint: bytes  # 8 bytes, little-endian CRC-64-AVRO of the parsing canonical form


def _schema_root() -> Any:
    return resources.files("news_schemas")


def _load(name: str, version: str, text: str) -> LoadedSchema:
    raw = json.loads(text)
    parsed = parse_schema(raw, _write_hint=True)
    fp_hex = fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO")
    return LoadedSchema(name, version, raw, parsed, bytes.fromhex(fp_hex))


@functools.cache
def schema(name: str) -> LoadedSchema:
    """Current schema by file stem; parsed once per process."""
    if name not in NAMES:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(NAMES)}")
    return _load(name, "current", (_schema_root() / f"{name}.avsc").read_text(encoding="utf-8"))


@functools.cache
def history(name: str) -> tuple[LoadedSchema, ...]:
    """Released versions of a schema, oldest first: ``schemas/history/<name>.v<N>.avsc``."""
    folder = _schema_root() / "history"
    found = []
    if folder.is_dir():
        for entry in folder.iterdir():
            stem = entry.name.removesuffix(".avsc")
            if entry.name.endswith(".avsc") and stem.rsplit(".", 1)[0] == name:
                found.append((int(stem.rsplit(".v", 1)[1]), entry))
    return tuple(_load(name, f"v{n}", e.read_text(encoding="utf-8")) for n, e in sorted(found))


@functools.cache
def writers_by_fingerprint() -> dict[bytes, LoadedSchema]:
    """Every known writer schema (current and history) by fingerprint, for single-object decoding."""
    table: dict[bytes, LoadedSchema] = {}
    for name in NAMES:
        for s in (*history(name), schema(name)):
            table.setdefault(s.fingerprint, s)
    return table
