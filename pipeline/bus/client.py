"""Kafka client configuration: ``KafkaSettings`` -> kafka-python keyword arguments, and client factories.

Every client in the project (poller, Beam source and sink, consumer, admin) is built here, so security settings
reach all of them; the SASL password is read here, when the client is built (``pipeline.bus.secrets``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.bus.secrets import sasl_password
from pipeline.settings import KafkaSettings

log = logging.getLogger(__name__)
# tansu's default cluster id is "tansu_cluster"; Apache Kafka's is a random base64 id.
TANSU_CLUSTER_PREFIX = "tansu"
_idempotence_seen: dict[str, bool] = {}
_idempotence_lock = threading.Lock()


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


def producer_config(
    settings: KafkaSettings, idempotence_on: bool | None = None, **overrides: Any
) -> dict[str, Any]:
    """acks=all producer that retries forever, idempotent or not (``make_producer`` asks ``idempotent()``).

    Idempotent: a retry cannot duplicate or reorder a batch.  Without idempotence, one request in flight per
    connection keeps retries in order; a batch whose acknowledgement was lost may be written twice, which the
    output's ids make recognisable (at-least-once either way).  ``None`` takes ``settings.idempotence`` without
    asking the cluster (``auto`` counts as on).
    """
    on = settings.idempotence != "off" if idempotence_on is None else idempotence_on
    cfg = common_config(settings) | {
        "acks": "all",
        "enable_idempotence": on,
        "linger_ms": 5,
        "retries": 2**31 - 1,
        "max_in_flight_requests_per_connection": 5 if on else 1,
        "compression_type": None,
    }
    cfg.update(overrides)
    return cfg


def idempotent(settings: KafkaSettings) -> bool:
    """Whether producers of ``settings`` are idempotent: ``on``/``off`` as set; ``auto`` asks the cluster once.

    ``auto`` is off on tansu (cluster id ``tansu...``): its S3 engine stores a batch's producer sequence, then the
    partition watermark, then the batch, each its own object write.  A broker crash between the first and the last
    leaves the sequence counted and the batch missing; the producer's retry of that batch is then answered
    DUPLICATE_SEQUENCE_NUMBER, which Kafka clients take as "already written": acknowledged and lost (seen as 32
    records missing after a SIGKILL, tests/faults/test_broker_crash_acks.py).  It stays on for the embedded
    memory-storage broker (``MEMORY_CLUSTER_ID``): a crash loses everything there anyway, and after a restart its
    engine acknowledges a non-idempotent write to a topic it lost without listing the topic, then refuses every
    batch of the topic created again (AlreadyExists): a poller re-sending its outbox hung on it.  When the cluster
    cannot be asked (broker down), this producer is not idempotent, and the next one asks again.
    """
    if settings.idempotence != "auto":
        return settings.idempotence == "on"
    key = settings.bootstrap_servers
    with _idempotence_lock:
        known = _idempotence_seen.get(key)
    if known is not None:
        return known
    try:
        admin = KafkaAdminClient(
            **common_config(settings), request_timeout_ms=5000, bootstrap_timeout_ms=3000
        )
    except Exception as exc:  # broker away: decide again with the next producer
        log.info("could not reach %s (%s): this producer is not idempotent", key, exc)
        return False
    try:
        cluster_id = str(admin.describe_cluster().get("cluster_id") or "")
    except Exception as exc:  # a Kafka before 2.8 has no DescribeCluster (tansu has it): not tansu
        log.debug("DescribeCluster failed on %s: %s", key, exc)
        cluster_id = ""
    finally:
        admin.close()
    from pipeline.bus.broker import MEMORY_CLUSTER_ID

    on = cluster_id == MEMORY_CLUSTER_ID or not cluster_id.startswith(TANSU_CLUSTER_PREFIX)
    log.info("cluster %r at %s: idempotent producers %s", cluster_id, key, "on" if on else "off (tansu)")
    with _idempotence_lock:
        _idempotence_seen[key] = on
    return on


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
    return KafkaProducer(**producer_config(settings, idempotent(settings), **overrides))


def make_consumer(settings: KafkaSettings, *topics: str, **overrides: Any) -> KafkaConsumer:
    return KafkaConsumer(*topics, **consumer_config(settings, **overrides))


def ensure_topics(
    settings: KafkaSettings, topics: list[str], partitions: int = 1, timeout_ms: int = 30_000
) -> None:
    """Create missing topics (idempotent). Brokers with auto-create still get explicit partition counts.
    ``timeout_ms``: how long to look for a broker first."""
    admin = KafkaAdminClient(**common_config(settings), bootstrap_timeout_ms=timeout_ms)
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
