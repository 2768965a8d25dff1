"""The file sink: the output topic -> finished Avro files named by partition and offset range (exactly once).

In: the output topic (``news_item`` in either wire format).  Out: ``<out>/<topic>+<p>+<first>+<last>.avro`` files
(see naming.py) and commits of the sink's own consumer group, for lag tools.  Used by ``run`` (a thread beside
the local pipeline, then a catch-up to the end of the topic), by ``news-pipeline files`` on its own (e.g. beside
a Dataflow job), and by tests.

Why files come from the topic and not from the pipeline's own bundles: a record is in a file if and only if it is
on the topic, whatever crashed where, because (1) a file is published by an atomic rename only when complete,
(2) a restarted sink resumes each partition after its last finished file (committed offsets only serve lag tools
and a directory whose files were moved away), and (3) unfinished temporary files are deleted at start.  A file is
finished ``roll_s`` after its first record (or at ``roll_records``/``roll_bytes``), so files follow the topic
within seconds.  A broker outage is waited out with capped back-off; an undecodable record becomes a dead letter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from pipeline.avro.codec import AvroDecodeError, datum_of, encode_failure
from pipeline.avro.registry import registry_from_url
from pipeline.avro.schemas import schema
from pipeline.avro.wire import WireDecoder
from pipeline.bus.client import consumer_config
from pipeline.bus.retry import Backoff
from pipeline.files.naming import RangeFile, finalize_legacy, next_offsets, remove_temp
from pipeline.files.writer import RangeFileWriter
from pipeline.model import Failure
from pipeline.settings import FileSinkSettings, KafkaSettings, PipelineSettings

log = logging.getLogger(__name__)


class _NoPartitions(Exception):
    pass


@dataclass
class SinkStats:
    records: int = 0
    files: list[RangeFile] = field(default_factory=list)
    dead_letters: int = 0
    removed_temp: int = 0
    broker_waits: int = 0


# stopping at given ends: how long polls may bring nothing before the sink gives up on them
STOP_AT_WAIT_S = 60.0
# A poll waits at most this long, and so does the broker for new records (the client's default 500 ms made the
# last records of a run wait for it: a local run's end waited 0.2-0.46 s on its file sink, now 0.02-0.10 s).  Idle,
# that is 10 fetches a second.
POLL_MS = 100


class FileSink:
    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        out_dir: str,
        group: str,
        roll: FileSinkSettings = FileSinkSettings(),
        registry_url: str | None = None,
        dead_letter_topic: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.kafka, self.topic, self.out_dir, self.group = kafka, topic, out_dir.rstrip("/"), group
        self.roll, self.registry_url, self.dead_letter_topic, self.clock = (
            roll,
            registry_url,
            dead_letter_topic,
            clock,
        )
        self.stats = SinkStats()
        self._writers: dict[int, RangeFileWriter] = {}
        self._consumer: KafkaConsumer | None = None
        self._producer: Any = None
        self._decoder = WireDecoder(registry_from_url(registry_url) if registry_url else None)
        self._parsed = schema("news_item").parsed
        # set with ``stop`` by a writer that knows where its records end (``bus.read.log_ends`` after its last
        # acknowledged write): the catch-up then runs until every partition's position reaches these offsets
        self.stop_at: dict[int, int] | None = None

    # -- public -----------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, until_end: bool = False) -> SinkStats:
        """Follow the topic until ``stop`` is set, or (``until_end``) until caught up; then finish open files.

        After ``stop`` is set the sink still catches up to the end of the topic before returning, so whatever the
        pipeline wrote before it stopped is in files: to ``stop_at`` when the writer gave it, else until a poll
        brings nothing and every position is at the end (the larger of the listed end and the last fetch's high
        watermark).
        """
        stop = stop or threading.Event()
        self.stats.removed_temp += len(remove_temp(self.out_dir, self.topic))
        finalize_legacy(self.out_dir)
        backoff = Backoff()
        idle_since: float | None = None  # stopping at ``stop_at``: since when nothing more came
        try:
            while True:
                try:
                    if self._consumer is None:
                        self._open()
                    caught_up = self._step()
                    backoff.reset()
                except (KafkaError, OSError, TimeoutError, _NoPartitions) as exc:
                    self._broker_trouble(exc, backoff)
                    if stop.is_set() and backoff.waited_s > 60:
                        raise
                    continue
                self._roll_due(force=False)
                if stop.is_set() and self.stop_at is not None:
                    idle_since = (idle_since or self.clock()) if caught_up else None
                    if self._reached(self.stop_at):
                        break
                    if idle_since is not None and self.clock() - idle_since > STOP_AT_WAIT_S:
                        log.error("file sink: stopped short of the ends %s it was given", self.stop_at)
                        break
                elif caught_up and (until_end or stop.is_set()):
                    break
            self._roll_due(force=True)
            return self.stats
        finally:
            for w in self._writers.values():
                w.abort()
            self._writers.clear()
            self._close()

    # -- internals --------------------------------------------------------------------------------------------
    def _open(self) -> None:
        from pipeline.bus.client import wait_for_partitions

        consumer = KafkaConsumer(
            **consumer_config(
                self.kafka, group_id=self.group, max_poll_records=1000, fetch_max_wait_ms=POLL_MS
            )
        )
        try:
            try:
                parts = sorted(wait_for_partitions(consumer, self.topic, timeout_s=30.0))
            except RuntimeError as exc:  # no metadata: the broker is away (run() created the topic)
                raise _NoPartitions(str(exc)) from exc
            tps = [TopicPartition(self.topic, p) for p in parts]
            consumer.assign(tps)
            done = next_offsets(self.out_dir, self.topic)
            for tp in tps:
                committed = consumer.committed(tp) or 0
                consumer.seek(tp, max(committed, done.get(tp.partition, 0)))
        except Exception:
            consumer.close()
            raise
        self._consumer, self._tps = consumer, tps

    def _close(self) -> None:
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    client.close()
                except Exception:  # closing a client of a dead broker may raise anything
                    log.debug("closing a Kafka client failed", exc_info=True)
        self._consumer = self._producer = None

    def _step(self) -> bool:
        """One poll; True when every partition was caught up (nothing fetched and position >= end offset)."""
        assert self._consumer is not None
        batches = self._consumer.poll(timeout_ms=POLL_MS)
        for tp, records in batches.items():
            for rec in records:
                self._append(tp.partition, rec)
        if any(batches.values()):
            return False
        ends = self._consumer.end_offsets(self._tps)
        return all(
            self._consumer.position(tp) >= max(ends.get(tp, 0), self._consumer.highwater(tp) or 0)
            for tp in self._tps
        )

    def _reached(self, ends: dict[int, int]) -> bool:
        assert self._consumer is not None
        return all(self._consumer.position(tp) >= ends.get(tp.partition, 0) for tp in self._tps)

    def _append(self, partition: int, rec: Any) -> None:
        # A record written with the files' own schema goes into the file as the datum it is (checked whole, not
        # decoded and encoded again: ~80 instead of ~175 us a 4 KB item); any other is decoded into that schema.
        datum = datum_of("news_item", rec.value)
        if datum is None:
            try:
                name, record = self._decoder.decode(rec.value)
                if name != "news_item":
                    raise AvroDecodeError(f"a {name} record on the output topic")
            except AvroDecodeError as exc:
                self._dead_letter(rec, exc)
                return
        w = self._writers.get(partition)
        if w is None:
            w = self._writers[partition] = RangeFileWriter(
                self.out_dir, self.topic, partition, rec.offset, self._parsed, self.roll.codec, self.clock
            )
        if datum is not None:
            w.append_datum(datum, rec.offset, len(rec.value))
        else:
            w.append(record, rec.offset, len(rec.value))
        self.stats.records += 1
        if w.records >= self.roll.roll_records or w.payload_bytes >= self.roll.roll_bytes:
            self._publish(partition, w)

    def _roll_due(self, force: bool) -> None:
        now = self.clock()
        for partition, w in list(self._writers.items()):
            if force or now - w.opened_at >= self.roll.roll_s:
                self._publish(partition, w)

    def _publish(self, partition: int, w: RangeFileWriter) -> None:
        done = w.publish()
        del self._writers[partition]
        self.stats.files.append(done)
        self._commit(partition, done.last + 1)

    def _commit(self, partition: int, offset: int) -> None:
        """For lag tools only (the files are the progress): a failed commit is logged, not retried."""
        try:
            if self._consumer is not None:
                tp = TopicPartition(self.topic, partition)
                self._consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
        except KafkaError as exc:
            log.warning("file sink: offset commit failed (%s); the files keep the progress", exc)

    def _dead_letter(self, rec: Any, exc: Exception) -> None:
        self.stats.dead_letters += 1
        if not self.dead_letter_topic:
            log.error("file sink: skipped undecodable record %s/%s: %s", rec.partition, rec.offset, exc)
            return
        from pipeline import __version__
        from pipeline.bus.client import make_producer

        if self._producer is None:
            self._producer = make_producer(self.kafka)
        failure = Failure(
            stage="files",
            reason=str(exc)[:2000],
            error_type=type(exc).__name__,
            original=rec.value,
            failed_at_ms=int(time.time() * 1000),
            source_topic=rec.topic,
            source_partition=rec.partition,
            source_offset=rec.offset,
            source_key=rec.key,
            pipeline_version=__version__,
        )
        self._producer.send(self.dead_letter_topic, key=rec.key, value=encode_failure(failure)).get(
            timeout=30
        )

    def _broker_trouble(self, exc: Exception, backoff: Backoff) -> None:
        """Drop the consumer (open files stay open: they are resumed by offset) and wait before reconnecting."""
        self.stats.broker_waits += 1
        log.warning(
            "file sink: waiting for Kafka (%s: %s); retry in %.1fs", type(exc).__name__, exc, backoff.next_s
        )
        for w in self._writers.values():
            w.abort()
        self._writers.clear()
        self._close()
        backoff.sleep()


def file_sink(settings: PipelineSettings) -> FileSink:
    """The sink of a pipeline's output topic, committing under the pipeline's group + ``files.group_suffix``."""
    s = settings
    return FileSink(
        s.kafka,
        s.topics.output,
        s.out_dir,
        group=f"{s.consumer_group}{s.files.group_suffix}",
        roll=s.files,
        registry_url=s.schema_registry_url,
        dead_letter_topic=s.topics.dead_letter,
    )
