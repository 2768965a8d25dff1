"""Pure-Python Kafka sink for Beam: ``(key, value)`` byte pairs -> one topic, idempotent ``acks=all`` producer.

One producer per worker process and Kafka settings, shared by every sink step (output, audit, dead letters): the
pipeline writes to several topics from one fused stage, and kafka-python producers are thread-safe.  Each step
flushes at ``finish_bundle`` and checks its own sends, so a delivery failure fails the bundle (which is retried)
before the source's bundle finalizer commits offsets: at-least-once.
"""

from __future__ import annotations

from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from pipeline.bus.client import make_producer
from pipeline.settings import KafkaSettings

_SHARED = shared.Shared()


class _ProducerHandle:
    """What ``Shared`` keeps alive per process (it needs a weak-referenceable object)."""

    def __init__(self, kafka: KafkaSettings):
        self.producer = make_producer(kafka)


def shared_producer(kafka: KafkaSettings) -> Any:
    return _SHARED.acquire(lambda: _ProducerHandle(kafka), tag=f"producer:{kafka.model_dump_json()}").producer


class _ProduceFn(beam.DoFn):
    """Send pairs asynchronously; flush and surface delivery errors at bundle end."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        self.kafka = kafka
        self.topic = topic
        self.sent = Metrics.counter("kafka_write", f"sent_{topic}")

    def setup(self) -> None:
        self.producer = shared_producer(self.kafka)

    def start_bundle(self) -> None:
        self.pending: list[Any] = []

    def process(self, kv: tuple[bytes | None, bytes]) -> None:
        key, value = kv
        self.pending.append(self.producer.send(self.topic, key=key, value=value))

    def finish_bundle(self) -> None:
        if not self.pending:
            return
        self.producer.flush()
        for fut in self.pending:
            fut.get(timeout=30)  # raises on a delivery failure: the bundle is retried, nothing is lost
        self.sent.inc(len(self.pending))
        self.pending = []


class WriteToKafkaPy(beam.PTransform):
    """Write ``(key, value)`` byte pairs to one topic with an idempotent, acks=all producer."""

    def __init__(self, kafka: KafkaSettings, topic: str):
        super().__init__()
        self.kafka = kafka
        self.topic = topic

    def expand(self, pcoll: beam.PCollection[tuple[bytes | None, bytes]]) -> beam.PCollection[None]:
        return pcoll | "Produce" >> beam.ParDo(_ProduceFn(self.kafka, self.topic))
