"""The poll loop: due feeds -> worker.py (fetch + parse, threads) -> new/changed entries -> Kafka -> state.

In: the state file's due feeds, ``PollerSettings``, a Kafka connection.  Out: records on the raw and dead-letter
topics and a ``PollReport``.  State (validators, seen entries, errors) advances only for polls whose records Kafka
acknowledged; a poll whose records were not acked is simply done again later.  Each round first asks recovery.py
whether the broker still holds what it acknowledged (and re-sends what it lost), then claims its feeds (lease.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline import __version__
from pipeline.model import Failure
from pipeline.poller import lease, loop, schedule
from pipeline.poller.changes import Changes, Seen, classify
from pipeline.poller.feeds import FeedSpec
from pipeline.poller.fetch import FetchResult, build_client
from pipeline.poller.lease import LeaseKeeper, owner_id
from pipeline.poller.metrics import PollerMetrics, event
from pipeline.poller.outbox import Acked
from pipeline.poller.parse import ParsedFeed
from pipeline.poller.polite import HostGate, interleave_by_host
from pipeline.poller.publish import BrokerUnavailable, Delivery, Publisher
from pipeline.poller.recovery import BrokerAudit, Recovery
from pipeline.poller.report import PollReport
from pipeline.poller.settings import PollerSettings
from pipeline.poller.state import FeedState, PollOutcome, StateStore
from pipeline.poller.worker import FeedWorker, Polled
from pipeline.settings import KafkaSettings, TopicSettings

FAILURE_ORIGINAL_CAP = 64 * 1024  # bytes of a bad body kept in its dead letter
COMMIT_EVERY = 200  # feeds per flush + state transaction
log = logging.getLogger(__name__)


@dataclass
class _Sent:
    """A poll waiting for Kafka's acks: what to commit if they come, and what to count."""

    outcome: PollOutcome
    delivery: Delivery
    feed_url: str
    new: int = 0
    updated: int = 0
    drift: int = 0


class Poller:
    """Owns the HTTP client, the state store, the publisher and the worker pool for one process."""

    def __init__(
        self,
        settings: PollerSettings,
        kafka: KafkaSettings,
        topics: TopicSettings,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        metrics: PollerMetrics | None = None,
        publisher: Publisher | None = None,
        on_polled: Callable[[str, FetchResult, ParsedFeed | None, int, int], int] | None = None,
    ):
        self.settings = settings
        self.clock, self.monotonic = clock, monotonic
        self.rng = rng or random.Random()
        self.metrics = metrics or PollerMetrics()
        self.state = StateStore(settings.state_path)
        self.client = build_client(settings)
        self.publisher = publisher or Publisher(kafka, topics, settings.delivery_timeout_s)
        self.gate = HostGate(
            settings.per_host_concurrency, settings.per_host_rate, settings.per_host_burst, clock=monotonic
        )
        self.worker = FeedWorker(self.client, settings, self.gate, self.metrics, clock, monotonic)
        self.pool = cf.ThreadPoolExecutor(settings.workers, thread_name_prefix="poll")
        self.bounds = schedule.Bounds(
            settings.default_interval_s, settings.min_interval_s, settings.max_interval_s
        )
        self.broker_errors = 0
        self.broker_retry_at = 0.0
        self._next_prune = 0.0  # monotonic: when to bound the outbox again
        # monotonic: when to compare the raw topic with the ledger even if nothing is due
        self._next_check = 0.0
        self.owner = owner_id()
        self.leases = LeaseKeeper(self.state, self.owner, settings.lease_s, clock)
        self.recovery = Recovery(self.state, self.publisher, BrokerAudit(kafka), topics.raw, self.metrics)
        # (feed url, fetch result, parsed feed, now ms, next poll ms) -> next poll ms, after each good poll:
        # WebSub records the hub/self links it sees and slows the polling of feeds a hub pushes (pipeline/websub)
        self.on_polled = on_polled

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.leases.close()
        try:
            lease.release(self.state, self.owner)
            self.publisher.close()
        finally:
            self.client.close()
            self.state.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- the feed list ----------------------------------------------------------------------------------------
    def sync(self, specs: Iterable[FeedSpec | str], source: str = "cli") -> list[str]:
        urls = []
        for spec in specs:
            spec = FeedSpec(spec) if isinstance(spec, str) else spec
            self.state.add_feed(spec.url, self._now_ms(), spec.title, spec.interval_s, spec.category, source)
            urls.append(spec.url)
        return urls

    # -- one tick ---------------------------------------------------------------------------------------------
    def run_once(self, urls: Iterable[str] | None = None, force: bool = False) -> PollReport:
        """Poll the due feeds (or, with ``force``, all of them; ``urls`` restricts to those feeds)."""
        report = PollReport()
        now_ms = self._now_ms()
        if urls is not None:
            wanted = set(urls)
            feeds = [f for f in self.state.feeds() if f.url in wanted and (force or f.next_poll_ms <= now_ms)]
        elif force:
            feeds = self.state.feeds()
        else:
            feeds = self.state.due(now_ms, self.settings.max_feeds_per_tick)
        self.metrics.feeds_due.set(len(feeds))
        if not feeds and self.monotonic() < self._next_check:
            return report
        try:
            self.publisher.check()
            report.resent = self.recovery.check(now_ms)  # the broker still holds what we delivered?
            self._next_check = self.monotonic() + self.settings.broker_check_s
            self.metrics.broker_up.set(1)
        except BrokerUnavailable as exc:
            self.note_broker_down(report, str(exc))
            return report  # nothing claimed: the feeds stay due
        if not feeds:
            return report
        if urls is None and not force:
            feeds = lease.claim_due(
                self.state, now_ms, self.settings.max_feeds_per_tick, self.leases.lease_ms, self.owner
            )
        try:
            self._round(feeds, report)
        finally:
            lease.release(self.state, self.owner)  # anything not committed (an error mid-round) is due again
        self._bound_state()
        event("tick", feeds=len(feeds), report=str(report))
        return report

    def _bound_state(self) -> None:
        """The seen-entry index and the outbox keep the horizon; the outbox also its byte cap (summing its sizes
        reads every row, so that part runs once a minute, not every round)."""
        horizon_start = self._now_ms() - int(self.settings.seen_horizon_s * 1000)
        self.state.prune_seen(horizon_start)
        if self.monotonic() >= self._next_prune:
            self.recovery.bound_outbox(horizon_start, self.settings.outbox_max_bytes)
            self._next_prune = self.monotonic() + 60.0

    def _round(self, feeds: list[FeedState], report: PollReport) -> None:
        feeds.sort(key=lambda f: (f.next_poll_ms, self.rng.random()))
        todo = iter(interleave_by_host(feeds))
        in_flight: set[cf.Future[Polled]] = set()
        batch: list[_Sent] = []
        last_flush = self.monotonic()
        while True:
            # a bounded window of fetches: memory stays flat however many feeds are due
            for feed in todo:
                in_flight.add(self.pool.submit(self.worker.poll, feed))
                if len(in_flight) >= self.settings.workers * 4:
                    break
            if not in_flight:
                break
            done, in_flight = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                item = self._handle(fut.result(), report)
                if item is not None:
                    batch.append(item)
            if len(batch) >= COMMIT_EVERY or (batch and self.monotonic() - last_flush > 2.0):
                self._settle(batch, report)
                batch, last_flush = [], self.monotonic()
        self._settle(batch, report)

    def note_broker_down(self, report: PollReport, reason: str) -> None:
        self.broker_errors += 1
        delay = schedule.backoff_s(
            self.broker_errors, 1.0, self.settings.broker_backoff_max_s, self.rng.random()
        )
        self.broker_retry_at = self.monotonic() + delay
        self._next_check = 0.0  # when it is back, check at once that it still holds what it acknowledged
        report.broker_down, report.broker_error = True, reason
        self.metrics.broker_up.set(0)
        self.metrics.broker_unavailable.inc()
        self.metrics.broker_retry_in.set(delay)

    # -- main thread: decide, send ------------------------------------------------------------------------------
    def _handle(self, p: Polled, report: PollReport) -> _Sent | None:
        feed, now_ms = p.feed, self._now_ms()
        if p.deferred_until is not None:
            report.deferred += 1
            self.metrics.deferred.labels(p.defer_reason or "other").inc()
            delay_s = max(1.0, p.deferred_until - self.monotonic())
            self.state.reschedule(
                feed.id, now_ms + int(schedule.jitter(delay_s, self.rng.random(), 0.05) * 1000)
            )
            return None
        r = p.result
        assert r is not None
        report.feeds_polled += 1
        self.metrics.polls.labels(str(r.status) if r.status else "none").inc()
        self.metrics.bytes.inc(r.wire_bytes)
        outcome = PollOutcome(
            feed_id=feed.id,
            now_ms=now_ms,
            next_poll_ms=0,
            status=r.status,
            ok=False,
            wire_bytes=r.wire_bytes,
            new_url=r.permanent_url,
        )
        delivery = Delivery()
        error_kind, error = r.error_kind, r.error
        if p.parsed is not None and p.parsed.error:
            error_kind, error = p.parsed.error_kind, p.parsed.error
        changes: Changes | None = None
        if error_kind:
            self._fail(p, outcome, delivery, error_kind, error or error_kind, report)
        elif r.not_modified or p.unchanged_body:
            outcome.ok = outcome.not_modified = True
            outcome.next_poll_ms = self._next_success(feed, now_ms, None, 0)
            report.not_modified += 1
            self.metrics.not_modified.inc()
        else:
            assert p.parsed is not None
            changes, seen = self._changes(feed, p.parsed)
            for entry in changes.to_send:
                self.publisher.send_entry(entry, delivery)
            hints = (p.parsed.ttl_s, p.parsed.update_period_s, p.parsed.max_age_s)
            outcome.ok = True
            outcome.etag, outcome.last_modified = r.headers.get("etag"), r.headers.get("last-modified")
            outcome.body_sha, outcome.title, outcome.hints, outcome.bozo = (
                p.body_sha,
                p.parsed.title,
                hints,
                p.parsed.bozo,
            )
            outcome.sent = [(e.entry_key, e.content_hash, e.link) for e in changes.to_send]
            outcome.updates, outcome.drift = len(changes.updated), changes.drift
            horizon_ms = int(self.settings.seen_horizon_s * 1000)
            # keep live entries in the bounded index without rewriting every row on every poll
            outcome.refresh = [
                k for k in changes.unchanged if now_ms - seen[k].last_seen_ms > horizon_ms // 4
            ]
            outcome.next_poll_ms = self._next_success(feed, now_ms, schedule.Hints(*hints), len(changes.new))
            report.ok += 1
            if p.parsed.bozo:
                event("bozo", feed=feed.url, reason=p.parsed.bozo_reason)
        if self.on_polled is not None and outcome.ok:
            outcome.next_poll_ms = self.on_polled(feed.url, r, p.parsed, now_ms, outcome.next_poll_ms)
        sent = _Sent(outcome, delivery, feed.url)
        if changes is not None:
            sent.new, sent.updated, sent.drift = len(changes.new), len(changes.updated), changes.drift
        event(
            "poll",
            logging.DEBUG,
            feed=feed.url,
            status=r.status,
            bytes=r.wire_bytes,
            ms=int(r.elapsed_s * 1000),
            new=sent.new,
            updated=sent.updated,
            drift=sent.drift or None,
            error=error_kind,
        )
        return sent

    def _changes(self, feed: FeedState, parsed: ParsedFeed) -> tuple[Changes, dict[str, Seen]]:
        entries = parsed.entries
        seen = self.state.seen(feed.id, [e.entry_key for e in entries])
        unknown_links = [e.link for e in entries if e.link and e.entry_key not in seen]
        by_link = self.state.keys_by_link(feed.id, unknown_links) if unknown_links else {}
        if by_link:
            seen = {**seen, **self.state.seen(feed.id, list(set(by_link.values())))}
        return classify(entries, seen, by_link), seen

    def _fail(
        self, p: Polled, outcome: PollOutcome, delivery: Delivery, kind: str, error: str, report: PollReport
    ) -> None:
        r = p.result
        assert r is not None
        retry_after = schedule.parse_retry_after(r.retry_after, self.clock())
        outcome.error, outcome.error_kind = error, kind
        delay = schedule.after_error(
            p.feed.consecutive_errors + 1,
            retry_after,
            self.settings.backoff_base_s,
            self.settings.backoff_max_s,
            self.rng.random(),
        )
        outcome.next_poll_ms = outcome.now_ms + int(delay * 1000)
        failure = Failure(
            stage="poll",
            reason=error[:2000],
            error_type=kind,
            original=r.body[:FAILURE_ORIGINAL_CAP] or None,
            failed_at_ms=outcome.now_ms,
            feed_url=p.feed.url,
            pipeline_version=__version__,
        )
        self.publisher.send_failure(failure, delivery)
        report.errors += 1
        report.errors_by_kind[kind] = report.errors_by_kind.get(kind, 0) + 1
        self.metrics.errors.labels(kind).inc()
        event(
            "poll_error",
            feed=p.feed.url,
            kind=kind,
            status=r.status,
            error=error,
            retry_in_s=round(delay, 1),
            consecutive=p.feed.consecutive_errors + 1,
        )

    def _next_success(self, feed: FeedState, now_ms: int, hints: schedule.Hints | None, new_now: int) -> int:
        if hints is None:
            hints = schedule.Hints(feed.ttl_s, feed.update_period_s, feed.max_age_s)
        since = now_ms - int(schedule.WEEK_S * 1000)
        new_entries = new_now + (
            self.state.new_entries_since(feed.id, since) if self.settings.adaptive else 0
        )
        observed_s = (now_ms - feed.first_success_ms) / 1000.0 if feed.first_success_ms else 0.0
        interval = schedule.success_interval(
            feed.interval_s, self.bounds, hints, self.settings.adaptive, new_entries, observed_s
        )
        return now_ms + int(schedule.jitter(interval, self.rng.random()) * 1000)

    def _settle(self, batch: list[_Sent], report: PollReport) -> None:
        """Wait for Kafka's acks, then commit what was acked; what was not is rescheduled, nothing advanced."""
        if not batch:
            return
        self.publisher.flush()
        commits: list[PollOutcome] = []
        acked: list[Acked] = []
        for item in batch:
            outcome, delivery = item.outcome, item.delivery
            if delivery.settle():
                commits.append(outcome)
                acked.extend(delivery.acked(self.publisher.topic_id))
                report.entries_sent += item.new
                report.updates += item.updated
                report.guid_drift += item.drift
                self.metrics.entries.labels("new").inc(item.new)
                self.metrics.entries.labels("update").inc(item.updated)
                self.metrics.guid_drift.inc(item.drift)
                if outcome.error_kind:
                    report.dead_letters += 1
                    self.metrics.dead_letters.inc()
                continue
            report.delivery_failures += 1
            self.metrics.delivery_failures.inc()
            self.metrics.broker_up.set(0)
            delay = schedule.backoff_s(1, 5.0, self.settings.broker_backoff_max_s, self.rng.random())
            commits.append(
                PollOutcome(
                    feed_id=outcome.feed_id,
                    now_ms=outcome.now_ms,
                    status=outcome.status,
                    ok=False,
                    next_poll_ms=outcome.now_ms + int(delay * 1000),
                    delivery_failed=True,
                    error=f"delivery: {delivery.failed}",
                    error_kind="delivery",
                )
            )
            event("delivery_failed", feed=item.feed_url, error=delivery.failed)
        if report.delivery_failures:
            self.publisher.reset()  # e.g. UnknownProducerId from a restarted broker: the next send builds a new one
            self._next_check = 0.0  # and the next tick asks the broker whether it still holds what it acked
        resent, ledger_ok = self.recovery.vet_acks(acked, self._now_ms())
        report.resent += resent
        self.state.commit(commits, acked, self._now_ms(), ledger=ledger_ok)

    # -- forever ------------------------------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event, on_tick: Callable[[PollReport], None] | None = None) -> None:
        """Tick until ``stop`` is set (loop.py): poll what is due, wait out broker outages, sleep until due."""
        loop.run_forever(self, stop, on_tick)
