"""``news-pipeline consume``: the output (or any project) topic -> decoded records as JSON lines or a table.

In: a topic of Avro records in either wire format (single-object ``C3 01`` or Confluent ``00`` + schema id, told
apart per record by the magic byte).  Out: one JSON object per record on stdout with its Kafka coordinates under
``_kafka``, or one table row.  Reads from the beginning (default), from a time, or from a group's committed offsets
(and commits as it goes); filters news items by language, entity, country and agency; stops after
``max_records``, after ``idle_timeout_s`` without records (the reading loop and its stop rule are
``pipeline.bus.read``), or on Ctrl-C (exit code 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import AvroDecodeError
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import WireDecoder
from pipeline.bus.client import consumer_config, wait_for_partitions
from pipeline.bus.read import StopRule, poll_until
from pipeline.ops.errors import UserError
from pipeline.settings import KafkaSettings, TopicSettings


@dataclass(frozen=True)
class Filters:
    """News-item filters; values compare case-insensitively. Records of other schemas never match a filter."""

    language: str | None = None
    entity: str | None = None
    country: str | None = None
    agency: str | None = None

    def active(self) -> bool:
        return any((self.language, self.entity, self.country, self.agency))

    def match(self, record: dict[str, Any]) -> bool:
        if not self.active():
            return True
        if record.get("_kafka", {}).get("schema") != "news_item":
            return False
        fold = str.casefold
        if self.language and fold(record.get("language") or "") != fold(self.language):
            return False
        if self.agency and fold(record.get("agency") or "") != fold(self.agency):
            return False
        if self.country and fold(self.country) not in {fold(c) for c in record.get("countries", [])}:
            return False
        if self.entity:
            names = {fold(e["text"]) for e in record.get("entities", [])}
            if fold(self.entity) not in names:
                return False
        return True


@dataclass(frozen=True)
class ConsumeOptions:
    topic: str
    group: str | None = None  # resume from (and commit to) this group's offsets
    max_records: int | None = None  # counted after filtering
    idle_timeout_s: float | None = 5.0
    from_time_ms: int | None = None  # start at the first record at or after this time (UTC epoch ms)
    schema_registry: str | None = None  # needed only for Confluent-framed records
    filters: Filters = Filters()


def _start_positions(consumer: KafkaConsumer, tps: list[TopicPartition], opts: ConsumeOptions) -> None:
    if opts.from_time_ms is not None:
        found = consumer.offsets_for_times(dict.fromkeys(tps, opts.from_time_ms))
        for tp in tps:
            hit = found.get(tp)
            if hit is None:
                consumer.seek_to_end(tp)  # nothing at or after that time yet
            else:
                consumer.seek(tp, hit.offset)
    elif opts.group is None:
        consumer.seek_to_beginning(*tps)
    # with a group and no time: the group's committed offsets (else earliest, from auto_offset_reset)


def read_topic(
    kafka: KafkaSettings, opts: ConsumeOptions, clock: Callable[[], float] = time.monotonic
) -> Iterator[dict[str, Any]]:
    """Decoded, filtered records of ``opts.topic`` with their coordinates under ``_kafka``."""
    decoder = WireDecoder(registry_from_url(opts.schema_registry) if opts.schema_registry else None)
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=opts.group, enable_auto_commit=False))
    try:
        tps = [TopicPartition(opts.topic, p) for p in sorted(wait_for_partitions(consumer, opts.topic))]
        consumer.assign(tps)
        _start_positions(consumer, tps, opts)
        n = 0
        if opts.max_records is not None and opts.max_records <= 0:
            return
        for batch in poll_until(consumer, tps, StopRule.idle(opts.idle_timeout_s), clock=clock):
            for msg in batch:
                if opts.from_time_ms is not None and msg.timestamp < opts.from_time_ms:
                    continue  # the broker's time lookup is a hint: tansu answers offset 0 for any time
                record = decode_message(msg, decoder)
                if opts.filters.match(record):
                    yield record
                    n += 1
                    if opts.max_records is not None and n >= opts.max_records:
                        if opts.group:
                            consumer.commit({msg_tp(msg): _offset_meta(msg.offset + 1)})
                        return
            if opts.group:
                consumer.commit()
    finally:
        consumer.close(autocommit=False)


def msg_tp(msg: Any) -> TopicPartition:
    return TopicPartition(msg.topic, msg.partition)


def _offset_meta(offset: int) -> Any:
    from kafka.structs import OffsetAndMetadata

    return OffsetAndMetadata(offset, "", -1)


def decode_message(msg: Any, decoder: WireDecoder) -> dict[str, Any]:
    meta = {
        "topic": msg.topic,
        "partition": msg.partition,
        "offset": msg.offset,
        "timestamp": msg.timestamp,
        "key": msg.key.decode("utf-8", "replace") if msg.key else None,
    }
    try:
        name, record = decoder.decode_json(msg.value)
    except AvroDecodeError as exc:
        return {"_kafka": meta, "_error": str(exc)}
    return {"_kafka": {**meta, "schema": name}, **record}


def print_records(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    """JSON lines; Ctrl-C ends the stream cleanly (the consumer is closed, nothing is committed twice)."""
    return _drain(records, out, lambda r: json.dumps(r, ensure_ascii=False))


TABLE_COLUMNS = (("offset", 8), ("published", 16), ("lang", 4), ("agency", 10), ("countries", 10))


def _row(record: dict[str, Any]) -> str:
    k = record.get("_kafka", {})
    pub = record.get("published") or record.get("failed_at") or record.get("fetched_at")
    when = dt.datetime.fromtimestamp(pub / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M") if pub else ""
    title = record.get("headline") or record.get("title") or record.get("reason") or record.get("_error", "")
    cells = [
        f"{k.get('partition')}:{k.get('offset')}",
        when,
        record.get("language") or "",
        record.get("agency") or record.get("stage") or "",
        ",".join(record.get("countries", [])),
    ]
    fixed = " ".join(str(c)[:w].ljust(w) for c, (_, w) in zip(cells, TABLE_COLUMNS, strict=True))
    return f"{fixed} {str(title)[:90]}"


def print_table(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    """One fixed-width row per record, printed as it arrives (a tail, not a buffered table)."""
    out.write(" ".join(n.ljust(w) for n, w in TABLE_COLUMNS) + " headline\n")
    return _drain(records, out, _row)


def _drain(records: Iterator[dict[str, Any]], out: TextIO, fmt: Callable[[dict[str, Any]], str]) -> int:
    n = 0
    try:
        for record in records:
            out.write(fmt(record) + "\n")
            out.flush()
            n += 1
    except KeyboardInterrupt:
        pass
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()  # runs read_topic's finally: the consumer leaves cleanly
    return n


def parse_time(text: str) -> int:
    """``2024-05-01T12:00:00Z``/``2024-05-01`` (UTC when no zone) or epoch milliseconds -> epoch ms."""
    if text.isdigit():
        return int(text)
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--from-time {text!r}: not a time; give ISO 8601 like 2024-05-01 or 2024-05-01T12:00:00Z, "
            "or epoch milliseconds",
            exit_code=2,
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def options_from_args(args: argparse.Namespace) -> ConsumeOptions:
    return ConsumeOptions(
        topic=args.topic,
        group=args.group,
        max_records=args.max_records,
        idle_timeout_s=args.idle_timeout or None,
        from_time_ms=parse_time(args.from_time) if args.from_time else None,
        schema_registry=args.schema_registry_url,
        filters=Filters(args.language, args.entity, args.country, args.agency),
    )


def cmd_consume(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.ops.offsets import require_topics

    kafka, opts = resolve_kafka(args), options_from_args(args)
    require_topics(kafka, [opts.topic])  # reading a missing topic would create it on auto-creating brokers
    records = read_topic(kafka, opts)
    show = print_table if args.format == "table" else print_records
    show(records, out or sys.stdout)
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``consume`` to the top-level parser (called by ``pipeline/cli.py``)."""
    p = sub.add_parser("consume", parents=[common], help="print a topic's records as JSON lines or a table")
    p.set_defaults(needs_kafka=True)
    p.add_argument("--topic", default=TopicSettings().output, help="topic to read")
    start = p.add_mutually_exclusive_group()
    start.add_argument(
        "--group", default=None, help="resume from and commit to this group's offsets (default: beginning)"
    )
    start.add_argument("--from-time", default=None, help="start at this time: ISO 8601 (UTC) or epoch ms")
    p.add_argument("--max-records", type=int, default=None, help="stop after this many (matching) records")
    p.add_argument(
        "--idle-timeout", type=float, default=5.0, help="exit after this many idle seconds (0: tail forever)"
    )
    p.add_argument(
        "--format", choices=["json", "table"], default="json", help="JSON lines or a fixed-width tail"
    )
    p.add_argument(
        "--schema-registry-url", default=None, help="registry URL, needed only for Confluent-framed records"
    )
    p.add_argument("--schema-registry", dest="schema_registry_url", help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--language", help="only news items in this language (ISO 639-1)")
    p.add_argument(
        "--entity",
        help="only news items naming this entity, as the record spells it (any case): see `inspect`",
    )
    p.add_argument("--country", help="only news items about this country (ISO 3166-1 alpha-2)")
    p.add_argument("--agency", help="only news items from this agency (Reuters, AFP, ...)")
    p.set_defaults(func=cmd_consume)
