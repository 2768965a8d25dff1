"""New and changed entries -> the raw topic; poll failures -> the dead-letter topic; and which sends were acked.

In: ``RawEntry`` and ``Failure`` records.  Out: Avro single-object records on Kafka through the project's
acks=all producer (bus/client.py), and per-record delivery outcomes, so the caller advances its state only for what Kafka
acknowledged; raw records come back with their partition and offset (``Delivery.acked``) for the outbox.  Record key on the raw topic: ``<feed hash>/<entry key>`` (keys.record_key).  A broker that is away
is reported as ``BrokerUnavailable``, never as a crash.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

from kafka.errors import KafkaError

from pipeline.avro.codec import encode_failure
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.model import Failure, RawEntry
from pipeline.poller import keys
from pipeline.poller.fit import encode_fitted
from pipeline.poller.outbox import Acked
from pipeline.settings import KafkaSettings, TopicSettings

log = logging.getLogger(__name__)


def reachable(server: str, timeout_s: float = 2.0) -> bool:
    host, _, port = server.strip().rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=timeout_s):
            return True
    except (OSError, ValueError):
        return False


class BrokerUnavailable(Exception):
    """Kafka cannot be reached or did not acknowledge in time; nothing was lost, the caller retries later."""


class Delivery:
    """Sends made for one poll; ``ok`` once every one of them was acknowledged."""

    def __init__(self) -> None:
        self.futures: list[Any] = []
        self.kept: list[tuple[Any, str, bytes | None, bytes, int | None]] = []  # raw records for the outbox
        self.failed: str | None = None

    def add(self, future: Any) -> None:
        self.futures.append(future)

    def keep(self, future: Any, topic: str, key: bytes | None, value: bytes, outbox_id: int | None) -> None:
        self.futures.append(future)
        self.kept.append((future, topic, key, value, outbox_id))

    def acked(self, topic_id: Callable[[str], str | None] = lambda _t: None) -> list[Acked]:
        """The kept records Kafka acknowledged, with where it put them."""
        out = []
        for f, topic, key, value, outbox_id in self.kept:
            if f.is_done and f.succeeded():
                meta = f.value
                out.append(Acked(topic, meta.partition, meta.offset, key, value, topic_id(topic), outbox_id))
        return out

    def settle(self) -> bool:
        """After a flush: True if all were acknowledged; otherwise ``failed`` holds the first error."""
        for f in self.futures:
            if not f.is_done:
                self.failed = self.failed or "not acknowledged before the delivery timeout"
            elif f.failed():
                self.failed = self.failed or f"{type(f.exception).__name__}: {f.exception}"
        return self.failed is None


class Publisher:
    """One producer for the poller process; created lazily and re-created after the broker was away."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topics: TopicSettings,
        delivery_timeout_s: float = 30.0,
        factory: Callable[..., Any] = make_producer,
        max_record_bytes: int = 900_000,
    ):
        self.kafka, self.topics = kafka, topics
        self.max_record_bytes = max_record_bytes  # under the broker's default max.message.bytes (1 MB)
        self.delivery_timeout_s = delivery_timeout_s
        self._factory = factory
        self._producer: Any = None

    def _ensure(self) -> Any:
        if self._producer is None:
            timeout_ms = int(self.delivery_timeout_s * 1000)
            if not any(reachable(server) for server in self.kafka.bootstrap_servers.split(",")):
                # kafka-python's admin client would spend ~30 s finding that out
                raise BrokerUnavailable(f"no bootstrap server reachable: {self.kafka.bootstrap_servers}")
            try:
                ensure_topics(self.kafka, [self.topics.raw, self.topics.dead_letter], self.topics.partitions)
                self._producer = self._factory(
                    self.kafka,
                    request_timeout_ms=min(timeout_ms, 30000),
                    delivery_timeout_ms=timeout_ms + 1000,
                    max_block_ms=min(timeout_ms, 10000),
                )
            except KafkaError as exc:
                raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return self._producer

    def check(self) -> None:
        """Raise ``BrokerUnavailable`` unless a producer is connected (or could be created now)."""
        self._ensure()

    def send_entry(self, entry: RawEntry, delivery: Delivery) -> None:
        key = keys.record_key(entry.feed_url, entry.entry_key)
        value, cut = encode_fitted(entry, self.max_record_bytes)
        if cut:
            log.warning(
                "entry %s of %s cut to fit one %s-byte record", entry.entry_key, entry.feed_url, len(value)
            )
        self._send(self.topics.raw, key, value, delivery, keep=True)

    def resend(self, outbox_id: int, key: bytes | None, value: bytes, delivery: Delivery) -> None:
        """Send a raw record again, byte for byte, with its key (the broker lost it)."""
        self._send(self.topics.raw, key, value, delivery, keep=True, outbox_id=outbox_id)

    def topic_id(self, topic: str) -> str | None:
        """The topic id in the producer's metadata (Kafka >= 2.8 and tansu send one), or None."""
        metadata = getattr(self._producer, "_metadata", None)  # kafka-python keeps it private
        tid = metadata.topic_id(topic) if metadata is not None and hasattr(metadata, "topic_id") else None
        return str(tid) if tid else None

    def send_failure(self, failure: Failure, delivery: Delivery) -> None:
        key = keys.feed_hash(failure.feed_url or "").encode()
        self._send(self.topics.dead_letter, key, encode_failure(failure), delivery)

    def _send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        delivery: Delivery,
        keep: bool = False,
        outbox_id: int | None = None,
    ) -> None:
        try:
            future = self._ensure().send(topic, key=key, value=value)
        except BrokerUnavailable as exc:  # the producer was dropped after a failure and cannot be rebuilt now
            delivery.failed = delivery.failed or str(exc)
            return
        except KafkaError as exc:  # buffer full / metadata unavailable for max_block_ms
            delivery.failed = delivery.failed or f"{type(exc).__name__}: {exc}"
            return
        if keep:
            delivery.keep(future, topic, key, value, outbox_id)
        else:
            delivery.add(future)

    def flush(self) -> None:
        """Wait for outstanding sends (bounded by the delivery timeout); delivery outcomes say what happened."""
        if self._producer is None:
            return
        try:
            self._producer.flush(timeout=self.delivery_timeout_s + 10)
        except KafkaError as exc:
            log.warning("flush did not complete: %s", exc)

    def reset(self) -> None:
        """Drop the producer after a failed delivery: a restarted broker answers the old producer id with
        UnknownProducerId forever, and its topics may have to be created again.  The next send builds a fresh one."""
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:
                log.debug("producer close failed", exc_info=True)
            self._producer = None

    def close(self) -> None:
        if self._producer is not None:
            self.flush()
            self._producer.close(timeout=5)
            self._producer = None
