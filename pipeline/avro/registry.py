"""Schema registry clients for the Confluent wire format: subject + schema text -> id, and id -> schema text.

``registry_from_url`` picks the client: ``http(s)://`` talks to a Confluent-compatible Schema Registry over REST
(httpx; ids and schemas are cached, a registry lookup happens once per schema per process); ``mock://<name>`` is a
process-local in-memory registry shared by name (tests, demos), like confluent-kafka's own mock client.
Subject naming follows Confluent's strategies: ``topic`` (``<topic>-value``), ``record`` (the record's full name),
``topic-record`` (``<topic>-<full name>``).
"""

from __future__ import annotations

import json
import threading
from typing import Literal, Protocol

SubjectStrategy = Literal["topic", "record", "topic-record"]
STRATEGIES: tuple[SubjectStrategy, ...] = ("topic", "record", "topic-record")


class RegistryError(RuntimeError):
    """The registry refused a schema or does not know an id."""


class SchemaRegistry(Protocol):
    def register(self, subject: str, schema_str: str) -> int: ...

    def schema_by_id(self, schema_id: int) -> str: ...


def subject_name(strategy: SubjectStrategy, topic: str, record_fullname: str, is_key: bool = False) -> str:
    """Confluent's TopicNameStrategy / RecordNameStrategy / TopicRecordNameStrategy."""
    if strategy == "topic":
        return f"{topic}-{'key' if is_key else 'value'}"
    if strategy == "record":
        return record_fullname
    if strategy == "topic-record":
        return f"{topic}-{record_fullname}"
    raise ValueError(f"unknown subject naming strategy {strategy!r}; known: {', '.join(STRATEGIES)}")


def _canonical_text(schema_str: str) -> str:
    return json.dumps(json.loads(schema_str), sort_keys=True, separators=(",", ":"))


class MemorySchemaRegistry:
    """In-process registry: one global id per distinct schema, versions per subject (like the real one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self._schemas: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}

    def register(self, subject: str, schema_str: str) -> int:
        key = _canonical_text(schema_str)
        with self._lock:
            schema_id = self._ids.get(key)
            if schema_id is None:
                schema_id = len(self._ids) + 1
                self._ids[key] = schema_id
                self._schemas[schema_id] = schema_str
            versions = self.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
            return schema_id

    def schema_by_id(self, schema_id: int) -> str:
        try:
            return self._schemas[schema_id]
        except KeyError:
            raise RegistryError(f"schema id {schema_id} not found") from None


class HttpSchemaRegistry:
    """Confluent Schema Registry REST API (``POST /subjects/{s}/versions``, ``GET /schemas/ids/{id}``)."""

    CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

    def __init__(self, url: str, auth: tuple[str, str] | None = None, timeout_s: float = 10.0):
        import httpx

        self.url = url.rstrip("/")
        self._client = httpx.Client(
            base_url=self.url, auth=auth, timeout=timeout_s, headers={"Accept": self.CONTENT_TYPE}
        )
        self._registered: dict[tuple[str, str], int] = {}
        self._by_id: dict[int, str] = {}

    def register(self, subject: str, schema_str: str) -> int:
        cached = self._registered.get((subject, schema_str))
        if cached is not None:
            return cached
        resp = self._client.post(
            f"/subjects/{subject}/versions",
            content=json.dumps({"schema": schema_str}),
            headers={"Content-Type": self.CONTENT_TYPE},
        )
        if resp.status_code >= 400:
            raise RegistryError(f"registering {subject!r} failed: HTTP {resp.status_code} {resp.text[:300]}")
        schema_id = int(resp.json()["id"])
        self._registered[(subject, schema_str)] = schema_id
        self._by_id.setdefault(schema_id, schema_str)
        return schema_id

    def schema_by_id(self, schema_id: int) -> str:
        cached = self._by_id.get(schema_id)
        if cached is not None:
            return cached
        resp = self._client.get(f"/schemas/ids/{schema_id}")
        if resp.status_code >= 400:
            raise RegistryError(f"schema id {schema_id}: HTTP {resp.status_code} {resp.text[:300]}")
        text = resp.json()["schema"]
        self._by_id[schema_id] = text
        return text

    def close(self) -> None:
        self._client.close()


_MOCKS: dict[str, MemorySchemaRegistry] = {}
_MOCKS_LOCK = threading.Lock()


def registry_from_url(url: str, auth: tuple[str, str] | None = None) -> SchemaRegistry:
    if url.startswith("mock://"):
        with _MOCKS_LOCK:
            return _MOCKS.setdefault(url, MemorySchemaRegistry())
    if url.startswith(("http://", "https://")):
        return HttpSchemaRegistry(url, auth)
    raise ValueError(f"schema registry URL must be http(s):// or mock://, got {url!r}")
