"""Prometheus metrics of the poller and a logfmt-style structured log line per event.

In: poll outcomes from the runner.  Out: counters/histograms in one ``CollectorRegistry`` (served on
127.0.0.1:PORT by ``serve``) and ``event=... key=value`` log lines.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("pipeline.poller")


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured log line: ``event=<name> k=v ...`` (values with spaces are quoted)."""
    if not log.isEnabledFor(level):
        return
    parts = [f"event={name}"]
    for k, v in fields.items():
        if v is None:
            continue
        s = str(v)
        parts.append(f'{k}="{s[:300]}"' if (" " in s or "=" in s or not s) else f"{k}={s}")
    log.log(level, " ".join(parts))


class PollerMetrics:
    """The poller's metrics; one registry per poller so tests and embedded use never collide."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.polls = Counter("poller_polls", "Feed polls by HTTP status class", ["status"], registry=r)
        self.not_modified = Counter(
            "poller_not_modified", "Polls answered 304 (or 200 with an identical body)", registry=r
        )
        self.bytes = Counter("poller_bytes", "Response bytes received on the wire", registry=r)
        self.entries = Counter("poller_entries_sent", "Entries acknowledged by Kafka", ["kind"], registry=r)
        self.errors = Counter("poller_errors", "Failed polls by kind", ["kind"], registry=r)
        self.dead_letters = Counter(
            "poller_dead_letters", "Failure records acknowledged on the DLQ", registry=r
        )
        self.guid_drift = Counter(
            "poller_guid_drift", "Entries whose GUID changed while the link stayed", registry=r
        )
        self.deferred = Counter(
            "poller_deferred", "Polls put off (host cooling down, robots)", ["reason"], registry=r
        )
        self.delivery_failures = Counter(
            "poller_delivery_failures", "Polls whose records Kafka did not ack", registry=r
        )
        self.lag = Histogram(
            "poller_poll_lag_seconds",
            "How late a poll started after it was due",
            registry=r,
            buckets=(0.1, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600),
        )
        self.fetch_seconds = Histogram(
            "poller_fetch_seconds",
            "Time to fetch one feed",
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.feeds_due = Gauge("poller_feeds_due", "Feeds due at the start of the last tick", registry=r)
        self.broker_up = Gauge("poller_broker_up", "1 if the last delivery attempt reached Kafka", registry=r)
        self.broker_unavailable = Counter(
            "poller_broker_unavailable",
            "Rounds that found Kafka away (the poller waits and retries)",
            registry=r,
        )
        self.broker_retry_in = Gauge(
            "poller_broker_retry_in_seconds",
            "Back-off before the next try while Kafka is away (0: up)",
            registry=r,
        )
        self.data_loss = Counter(
            "poller_broker_data_loss",
            "Times the broker no longer held records it had acknowledged",
            ["reason"],
            registry=r,
        )
        self.broker_checks = Counter(
            "poller_broker_checks",
            "Comparisons of the raw topic with the ledger, by what asked for one (round, acks)",
            ["trigger"],
            registry=r,
        )
        self.outbox_bytes = Gauge(
            "poller_outbox_bytes",
            "Bytes of delivered records kept to re-send if the broker loses them",
            registry=r,
        )
        self.outbox_capped = Counter(
            "poller_outbox_capped",
            "Delivered records dropped from the outbox by its byte cap, before the seen-entry horizon",
            registry=r,
        )
        self.resent = Counter(
            "poller_resent", "Records re-sent from the outbox because the broker lost them", registry=r
        )

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        start_http_server(port, addr=addr, registry=self.registry)
