"""With a schema registry configured, the pipeline writes the Confluent wire format and consumers decode it."""

from __future__ import annotations

import pytest

from pipeline.avro.codec import encode_raw_entry
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import WireDecoder, wire_format_of
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

pytestmark = pytest.mark.integration


def test_pipeline_output_in_confluent_wire_format(kafka: KafkaSettings, topics: TopicSettings) -> None:
    from kafka import KafkaConsumer, TopicPartition

    from pipeline.bus.client import consumer_config

    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    entry = RawEntry(
        feed_url="http://127.0.0.1/feed.xml",
        entry_key="g:1",
        content_hash="1",
        link="https://example.org/a",
        title="Berlin hosts talks",
        content="<p>BERLIN, 3. Dezember (Reuters) - Die Gespräche beginnen am Montag in Berlin.</p>",
        content_type="text/html",
    )
    producer = make_producer(kafka)
    producer.send(topics.raw, value=encode_raw_entry(entry)).get(timeout=30)
    producer.close()
    url = f"mock://{topics.output}"
    settings = PipelineSettings(
        kafka=kafka,
        topics=topics,
        out_dir="",
        ner=False,
        schema_registry_url=url,
        subject_strategy="topic-record",
    )
    assert run(settings).endswith("DONE")

    consumer = KafkaConsumer(**consumer_config(kafka))
    tp = TopicPartition(topics.output, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    values = [m.value for _ in range(10) for m in consumer.poll(timeout_ms=500).get(tp, [])]
    consumer.close()
    assert len(values) == 1 and wire_format_of(values[0]) == "confluent"
    registry = registry_from_url(url)
    name, record = WireDecoder(registry).decode(values[0])
    assert name == "news_item" and record["dateline"]["city"] == "BERLIN"
    assert f"{topics.output}-news.pipeline.NewsItem" in registry.subjects  # topic-record strategy
