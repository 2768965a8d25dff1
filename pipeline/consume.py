"""``news-pipeline consume``: output (or any project) topic -> decoded JSON lines.

In: a topic of Avro single-object records.  Out: one JSON object per record on stdout, with its Kafka coordinates
under ``_kafka``.  Reads from the beginning (default), or from a group's committed offsets; stops after
``max_records``, after ``idle_timeout_s`` without records, or on Ctrl-C.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import AvroDecodeError, decode_any
from pipeline.bus.client import consumer_config, wait_for_partitions
from pipeline.settings import KafkaSettings


@dataclass(frozen=True)
class ConsumeOptions:
    topic: str
    group: str | None = None
    max_records: int | None = None
    idle_timeout_s: float | None = 5.0


def read_topic(
    kafka: KafkaSettings, opts: ConsumeOptions, clock: Callable[[], float] = time.monotonic
) -> Iterator[dict[str, Any]]:
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=opts.group, enable_auto_commit=False))
    try:
        tps = [TopicPartition(opts.topic, p) for p in sorted(wait_for_partitions(consumer, opts.topic))]
        consumer.assign(tps)
        if opts.group is None:
            consumer.seek_to_beginning(*tps)
        n = 0
        last = clock()
        while opts.max_records is None or n < opts.max_records:
            batches = consumer.poll(timeout_ms=500)
            if not batches:
                if opts.idle_timeout_s is not None and clock() - last >= opts.idle_timeout_s:
                    break
                continue
            last = clock()
            for records in batches.values():
                for msg in records:
                    yield _decode(msg)
                    n += 1
            if opts.group:
                consumer.commit()
    finally:
        consumer.close(autocommit=False)


def _decode(msg: Any) -> dict[str, Any]:
    meta = {
        "topic": msg.topic,
        "partition": msg.partition,
        "offset": msg.offset,
        "key": msg.key.decode("utf-8", "replace") if msg.key else None,
    }
    try:
        name, record = decode_any(msg.value)
    except AvroDecodeError as exc:
        return {"_kafka": meta, "_error": str(exc)}
    return {"_kafka": {**meta, "schema": name}, **record}


def print_records(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    n = 0
    try:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            n += 1
    except KeyboardInterrupt:
        pass
    return n
