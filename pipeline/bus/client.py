"""Kafka client configuration: ``KafkaSettings`` -> kafka-python keyword arguments, and client factories.

Every client in the project (poller, Beam source and sink, consumer, admin) is built here, so security settings
reach all of them; the SASL password is read here, when the client is built (``pipeline.bus.secrets``).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.bus.secrets import sasl_password
from pipeline.settings import KafkaSettings


def common_config(settings: KafkaSettings) -> dict[str, Any]:
    """Connection and security keyword arguments shared by producers, consumers and admin clients."""
    cfg: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "client_id": settings.client_id,
        "security_protocol": settings.security_protocol,
    }
    if settings.sasl_mechanism:
        cfg["sasl_mechanism"] = settings.sasl_mechanism
        cfg["sasl_plain_username"] = settings.sasl_username
        cfg["sasl_plain_password"] = sasl_password(settings)
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        cfg["ssl_cafile"] = settings.ssl_cafile
        cfg["ssl_certfile"] = settings.ssl_certfile
        cfg["ssl_keyfile"] = settings.ssl_keyfile
        cfg["ssl_check_hostname"] = settings.ssl_check_hostname
    return cfg


def producer_config(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """Idempotent, acks=all producer: retries cannot duplicate or reorder within a partition."""
    cfg = common_config(settings) | {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "retries": 2**31 - 1,
        "max_in_flight_requests_per_connection": 5,
        "compression_type": None,
    }
    cfg.update(overrides)
    return cfg


def consumer_config(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    cfg = common_config(settings) | {
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        # tansu makes a group join wait for the whole rebalance timeout; keep it short (settings default 8000).
        "max_poll_interval_ms": settings.max_poll_interval_ms,
        "session_timeout_ms": 8000,
        "heartbeat_interval_ms": 2000,
    }
    cfg.update(overrides)
    return cfg


def make_producer(settings: KafkaSettings, **overrides: Any) -> KafkaProducer:
    return KafkaProducer(**producer_config(settings, **overrides))


def make_consumer(settings: KafkaSettings, *topics: str, **overrides: Any) -> KafkaConsumer:
    return KafkaConsumer(*topics, **consumer_config(settings, **overrides))


def ensure_topics(settings: KafkaSettings, topics: list[str], partitions: int = 1) -> None:
    """Create missing topics (idempotent). Brokers with auto-create still get explicit partition counts."""
    admin = KafkaAdminClient(**common_config(settings))
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        admin.close()


def wait_for_partitions(consumer: KafkaConsumer, topic: str, timeout_s: float = 10.0) -> set[int]:
    """Partition ids of ``topic``, waiting briefly for metadata (fresh topics take a moment to appear)."""
    deadline = time.monotonic() + timeout_s
    while True:
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return set(parts)
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic!r} has no partitions (does it exist?)")
        time.sleep(0.2)
