"""A broker that lost what it acknowledged -> detected against the ledger -> the outbox re-sent.

In: the ledger and outbox (outbox.py, in the state file), the raw topic as the broker shows it now.  Out: pending
outbox rows re-sent byte for byte with their keys, one ``event=broker_data_loss`` line and the
``poller_broker_data_loss_total``/``poller_resent_total`` counters.  Run at start, on every round, and whenever acks
look like a broker that started over (memory storage restarted, a topic deleted and recreated, an unclean leader).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from pipeline.bus.client import consumer_config
from pipeline.poller import outbox
from pipeline.poller.metrics import PollerMetrics, event
from pipeline.poller.publish import BrokerUnavailable, Delivery, Publisher, reachable
from pipeline.poller.state import StateStore
from pipeline.settings import KafkaSettings

RESEND_CHUNK = 2000  # outbox rows per flush + commit while re-sending
log = logging.getLogger(__name__)


class BrokerAudit:
    """Reads what the broker holds now: topic metadata, the record at a recorded offset, every record's digest."""

    def __init__(self, kafka: KafkaSettings, timeout_s: float = 3.0):
        self.kafka, self.timeout_s = kafka, timeout_s

    @contextmanager
    def _consumer(self) -> Iterator[KafkaConsumer]:
        if not any(reachable(s) for s in self.kafka.bootstrap_servers.split(",")):
            raise BrokerUnavailable(f"no bootstrap server reachable: {self.kafka.bootstrap_servers}")
        consumer = None
        try:
            consumer = KafkaConsumer(
                **consumer_config(
                    self.kafka,
                    group_id=None,
                    auto_offset_reset="earliest",
                    fetch_max_wait_ms=100,
                    request_timeout_ms=int(self.timeout_s * 1000) + 5000,
                )
            )
            yield consumer
        except KafkaError as exc:
            raise BrokerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        finally:
            if consumer is not None:
                consumer.close(autocommit=False)

    def view(
        self, topic: str, probes: dict[int, int], known_ids: frozenset[str] | set[str] = frozenset()
    ) -> outbox.TopicView:
        """The topic's metadata and, per probed partition, the first record at or after the probe's offset (not
        fetched when the topic id is not one of ``known_ids``: that already says the topic was recreated)."""
        with self._consumer() as c:
            c.topics()  # a fresh metadata request (the topic id lives in the cluster metadata kafka-python keeps)
            cluster = c._client.cluster
            parts = cluster.partitions_for_topic(topic)
            if not parts:
                return outbox.TopicView(exists=False)
            tid = cluster.topic_id(topic) if hasattr(cluster, "topic_id") else None
            tid = str(tid) if tid else None
            if tid and known_ids and tid not in known_ids:
                return outbox.TopicView(True, tid, frozenset(parts))
            tps = {p: TopicPartition(topic, p) for p in probes if p in parts}
            earliest = {tp.partition: off for tp, off in c.beginning_offsets(list(tps.values())).items()}
            ends = c.end_offsets(list(tps.values()))
            found: dict[int, outbox.Found | None] = {}
            for p, tp in list(tps.items()):
                if ends[tp] <= earliest[p]:  # an empty log: nothing to fetch
                    found[p] = None
                    del tps[p]
            if tps:
                c.assign(list(tps.values()))
                for p, tp in tps.items():
                    c.seek(tp, probes[p])
                deadline = time.monotonic() + self.timeout_s
                while any(p not in found for p in tps) and time.monotonic() < deadline:
                    for tp, records in c.poll(timeout_ms=200).items():
                        if records and tp.partition not in found:
                            r = records[0]
                            found[tp.partition] = outbox.Found(r.offset, outbox.digest(r.key, r.value))
                            c.pause(tp)
            return outbox.TopicView(True, tid, frozenset(parts), earliest, found)

    def digests(self, topic: str, deadline_s: float = 300.0) -> set[bytes]:
        """The digest of every record the topic holds now (read from the start of each partition to its end)."""
        out: set[bytes] = set()
        with self._consumer() as c:
            c.topics()
            parts = c._client.cluster.partitions_for_topic(topic)
            if not parts:
                return out
            tps = [TopicPartition(topic, p) for p in parts]
            c.assign(tps)
            c.seek_to_beginning()
            # tansu answers ListOffsets with the start of the last batch + 1: being past it means the batch was read
            end = c.end_offsets(tps)
            deadline = time.monotonic() + deadline_s
            while time.monotonic() < deadline:
                got = c.poll(timeout_ms=300)
                for records in got.values():
                    out.update(outbox.digest(r.key, r.value) for r in records)
                if not got and all(c.position(tp) >= end[tp] for tp in tps):
                    return out
            raise BrokerUnavailable(f"reading {topic} back took longer than {deadline_s:.0f}s")


class Recovery:
    """Checks the raw topic against the ledger and re-sends what the broker lost."""

    def __init__(
        self, state: StateStore, publisher: Publisher, audit: BrokerAudit, topic: str, metrics: PollerMetrics
    ):
        self.state, self.publisher, self.audit, self.topic, self.metrics = (
            state,
            publisher,
            audit,
            topic,
            metrics,
        )

    def check(self, now_ms: int, trigger: str = "round") -> int:
        """Detect a loss (marking what must be re-sent), then re-send what is pending; returns records re-sent.

        Raises ``BrokerUnavailable`` when the broker cannot be asked or does not ack; pending rows stay pending.
        """
        ledger = outbox.ledger_of(self.state.read, self.topic)
        if ledger:
            self.metrics.broker_checks.labels(trigger).inc()
            known = {probe.topic_id for probe in ledger.values() if probe.topic_id}
            view = self.audit.view(self.topic, {p: probe.offset for p, probe in ledger.items()}, known)
            lost = outbox.judge(ledger, view)
            if lost:
                self._mark(lost, view)
        return self.resend_pending(now_ms)

    def vet_acks(self, acked: list[outbox.Acked], now_ms: int) -> tuple[int, bool]:
        """Acks that look like a broker that started over are checked before the ledger moves on: (records re-sent,
        whether the ledger may take these acks).  If the broker cannot be asked now, the ledger stays where it was,
        so the next round's check still sees the loss."""
        if not outbox.suspicious(outbox.ledger_of(self.state.read, self.topic), acked):
            return 0, True
        try:
            return self.check(now_ms, trigger="acks"), True
        except BrokerUnavailable as exc:
            event("ledger_check_failed", logging.WARNING, error=str(exc))
            return 0, False

    def bound_outbox(self, horizon_start_ms: int, max_bytes: int) -> None:
        with self.state.transaction() as db:
            _, capped = outbox.prune(db, horizon_start_ms, max_bytes)
        rows, size = outbox.size_of(self.state.read)
        self.metrics.outbox_bytes.set(size)
        if capped:
            self.metrics.outbox_capped.inc(capped)
            event("outbox_full", logging.WARNING, dropped=capped, kept=rows, max_bytes=max_bytes)

    def _mark(self, lost: dict[int, str], view: outbox.TopicView) -> None:
        self.publisher.reset()  # its producer id and metadata belong to the broker that lost the data
        self.publisher.check()  # a fresh producer; creates the topic again if it is gone
        present = self.audit.digests(self.topic) if view.exists else set()
        whole = any(r in ("topic_missing", "topic_recreated") for r in lost.values())
        with self.state.transaction() as db:
            looked, marked = outbox.mark_lost(db, self.topic, None if whole else set(lost), present)
        reasons = sorted(set(lost.values()))
        for reason in reasons:
            self.metrics.data_loss.labels(reason).inc()
        event(
            "broker_data_loss",
            logging.WARNING,
            topic=self.topic,
            reason=",".join(reasons),
            partitions=",".join(str(p) for p in sorted(lost)),
            topic_id=view.topic_id,
            outbox=looked,
            still_there=looked - marked,
            to_resend=marked,
        )

    def resend_pending(self, now_ms: int) -> int:
        sent = 0
        while rows := outbox.pending(self.state.read, self.topic, RESEND_CHUNK):
            delivery = Delivery()
            for row_id, key, value in rows:
                self.publisher.resend(row_id, key and bytes(key), bytes(value), delivery)
            self.publisher.flush()
            ok = delivery.settle()
            acked = delivery.acked(self.publisher.topic_id)
            self.state.commit([], acked, now_ms)
            sent += len(acked)
            self.metrics.resent.inc(len(acked))
            if not ok:
                self.publisher.reset()
                raise BrokerUnavailable(f"re-sending lost records: {delivery.failed}")
        if sent:
            event("resent", logging.WARNING, topic=self.topic, records=sent)
        return sent
