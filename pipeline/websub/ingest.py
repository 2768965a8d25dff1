"""A verified push -> the raw topic, by the poller's own rules.

In: the body a hub distributed for one subscription (signature already checked) and its Content-Type.  Out: new and
changed entries on the raw topic (parse.py, changes.py and publish.py, exactly as a poll: same ``RawEntry``, same
key, same seen-entry index), a dead letter for a body that is not a feed, and the HTTP status for the hub: 200
once Kafka acknowledged, 503 when it did not (the hub retries; the safety-net poll catches up too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pipeline import __version__
from pipeline.model import Failure
from pipeline.poller.changes import Changes, classify
from pipeline.poller.metrics import event
from pipeline.poller.parse import ParsedFeed, parse_feed
from pipeline.poller.publish import BrokerUnavailable, Delivery, Publisher
from pipeline.poller.state import StateStore
from pipeline.websub.lifecycle import Subscription
from pipeline.websub.metrics import WebSubMetrics
from pipeline.websub.store import WebSubStore

FAILURE_ORIGINAL_CAP = 64 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ingested:
    status: int
    new: int = 0
    updated: int = 0
    reason: str | None = None  # why nothing was sent (bad_feed, not_delivered, feed_removed)


def changes_for(state: StateStore, feed_id: int, parsed: ParsedFeed) -> Changes:
    """The poller's change rules (runner.Poller._changes): seen keys, then GUID drift by link."""
    entries = parsed.entries
    seen = state.seen(feed_id, [e.entry_key for e in entries])
    unknown_links = [e.link for e in entries if e.link and e.entry_key not in seen]
    by_link = state.keys_by_link(feed_id, unknown_links) if unknown_links else {}
    if by_link:
        seen = {**seen, **state.seen(feed_id, list(set(by_link.values())))}
    return classify(entries, seen, by_link)


class PushIngest:
    """Shared by the server's threads; one push at a time, so two pushes of one entry cannot both look new."""

    def __init__(
        self,
        state: StateStore,
        store: WebSubStore,
        publisher: Publisher,
        metrics: WebSubMetrics,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.state, self.store, self.publisher, self.metrics = state, store, publisher, metrics
        self.clock, self.monotonic = clock, monotonic
        self._lock = threading.Lock()

    def push(self, sub: Subscription, body: bytes, content_type: str, received: float) -> Ingested:
        """``received``: ``monotonic()`` when the request arrived (the latency metric starts there)."""
        with self._lock:
            try:
                return self._push(sub, body, content_type, received)
            except BrokerUnavailable as exc:
                self.publisher.reset()
                event("websub_push_not_delivered", feed=sub.feed_url, error=str(exc))
                return Ingested(503, reason="not_delivered")

    def _push(self, sub: Subscription, body: bytes, content_type: str, received: float) -> Ingested:
        now_ms = int(self.clock() * 1000)
        feed = self.state.feed(sub.feed_url)
        if feed is None:  # removed since: the unsubscription is on its way
            return Ingested(410, reason="feed_removed")
        headers = {"content-type": content_type} if content_type else {"content-type": "application/xml"}
        parsed = parse_feed(body, headers, sub.feed_url, now_ms, http_status=200)
        delivery = Delivery()
        if parsed.error:
            failure = Failure(
                stage="push",
                reason=parsed.error[:2000],
                error_type=parsed.error_kind or "push",
                original=body[:FAILURE_ORIGINAL_CAP] or None,
                failed_at_ms=now_ms,
                feed_url=sub.feed_url,
                pipeline_version=__version__,
            )
            self.publisher.send_failure(failure, delivery)
            self.publisher.flush()
            if not delivery.settle():
                return Ingested(503, reason="not_delivered")
            event("websub_bad_push", feed=sub.feed_url, kind=parsed.error_kind, error=parsed.error)
            return Ingested(200, reason="bad_feed")  # dead-lettered: a retry would not make it better
        changes = changes_for(self.state, feed.id, parsed)
        for entry in changes.to_send:
            self.publisher.send_entry(entry, delivery)
        self.publisher.flush()
        if not delivery.settle():
            self.publisher.reset()
            event("websub_push_not_delivered", feed=sub.feed_url, error=delivery.failed)
            return Ingested(503, reason="not_delivered")
        sent = [(e.entry_key, e.content_hash, e.link) for e in changes.to_send]
        self.store.remember_sent(feed.id, sub.token, sent, now_ms)
        self.metrics.latency.observe(self.monotonic() - received)
        self.metrics.entries.labels("new").inc(len(changes.new))
        self.metrics.entries.labels("update").inc(len(changes.updated))
        event("websub_push", feed=sub.feed_url, new=len(changes.new), updated=len(changes.updated))
        return Ingested(200, len(changes.new), len(changes.updated))
