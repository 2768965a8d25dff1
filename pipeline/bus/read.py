"""Read a topic until done: every record from the beginning up to the end the broker reported at the start.

In: Kafka settings and a topic.  Out: its records, partition by partition interleaved as fetched; then the reader
stops.  The one stop rule: every partition's position has reached the end offset taken at the start AND a fetch
came back empty.  The end alone is never trusted (tansu reports the start of the last batch + 1, short of the true
end, measured in the shared notes on Beam and Kafka), and idleness alone is never enough (a slow broker would silently end the read early).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from pipeline.bus.client import consumer_config, wait_for_partitions
from pipeline.settings import KafkaSettings


def read_to_end(
    kafka: KafkaSettings,
    topic: str,
    *,
    poll_ms: int = 500,
    wait_partitions_s: float = 10.0,
    missing_ok: bool = False,
) -> Iterator[Any]:
    """Records (kafka-python ``ConsumerRecord``) of ``topic`` from offset 0 (or the log start) to the end.

    A topic without partitions after ``wait_partitions_s`` raises ``RuntimeError`` unless ``missing_ok`` (then
    nothing is read).  No consumer group: nothing is committed.
    """
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None, enable_auto_commit=False))
    try:
        try:
            parts = wait_for_partitions(consumer, topic, wait_partitions_s)
        except RuntimeError:
            if missing_ok:
                return
            raise
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        while True:
            batches = consumer.poll(timeout_ms=poll_ms)
            for records in batches.values():
                yield from records
            if not batches and all(consumer.position(tp) >= ends.get(tp, 0) for tp in tps):
                return
    finally:
        consumer.close(autocommit=False)
