"""Prometheus metrics of WebSub: subscriptions by state, pushes received and refused, push-to-raw latency.

In: events from the server, the ingest path and the subscriber.  Out: metrics in the registry given (the poller's,
when ``poll --loop --websub`` runs both, so one scrape sees all) or a registry of their own.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from pipeline.websub.lifecycle import STATES


class WebSubMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.subscriptions = Gauge("websub_subscriptions", "Subscriptions by state", ["state"], registry=r)
        self.hub_requests = Counter(
            "websub_hub_requests", "Requests sent to hubs by mode and result", ["mode", "result"], registry=r
        )
        self.verifications = Counter(
            "websub_verifications",
            "Verifications of intent by mode and answer (echoed, denied, refused)",
            ["mode", "answer"],
            registry=r,
        )
        self.pushes = Counter("websub_pushes_received", "Content distribution requests received", registry=r)
        self.refused = Counter(
            "websub_pushes_refused",
            "Pushes dropped, by reason (unsigned, bad_signature, unknown_method, too_large, unknown_callback, "
            "bad_feed, not_delivered)",
            ["reason"],
            registry=r,
        )
        self.entries = Counter(
            "websub_entries_sent", "Pushed entries acknowledged by Kafka", ["kind"], registry=r
        )
        self.latency = Histogram(
            "websub_push_to_raw_seconds",
            "From a push's arrival to Kafka's ack of its raw records",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def set_states(self, counts: dict[str, int]) -> None:
        for state in STATES:
            self.subscriptions.labels(state).set(counts.get(state, 0))
