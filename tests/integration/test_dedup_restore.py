"""Dedup state rebuilt from the output topic (restore.py) in the wire format the output was written in.

The seed and its update go through poll -> run with a schema registry (Confluent wire format on the output); a
second run from scratch (fresh consumer group, every raw record replayed, local Beam state gone) restores from the
Confluent-encoded output and emits nothing new.  Before restore went through the wire-format facade this second
run failed in ``DoFn.setup`` (the single-object decoder found no C3 01 header).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import WireDecoder
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.bus.read import read_to_end
from pipeline.devserver import DevServer
from pipeline.poller import poll_once
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from pipeline.transforms.dedup.restore import RestoreSource, load
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration


def test_restart_with_a_schema_registry_restores_and_emits_nothing_new(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(FIXTURES / "dedup/feeds/reuters-v1.xml", feeds / "reuters.xml")
    poller = PollerSettings(state_path=tmp_path / "poller.sqlite3", allow_private_hosts=("127.0.0.1",))
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    with DevServer(feeds) as server:
        assert poll_once([server.url_for("reuters.xml")], poller, kafka, topics).entries_sent >= 1
        shutil.copy(FIXTURES / "dedup/feeds/reuters-v2.xml", feeds / "reuters-later.xml")
        assert poll_once([server.url_for("reuters-later.xml")], poller, kafka, topics).entries_sent >= 1

    url = f"mock://{topics.output}"
    settings = PipelineSettings(
        kafka=kafka, topics=topics, mode="drain", out_dir="", ner=False, schema_registry_url=url
    )
    assert run(settings).endswith("DONE")
    decoder = WireDecoder(registry_from_url(url))
    first = [decoder.decode_json(r.value)[1] for r in read_to_end(kafka, topics.output)]
    assert sorted(r["version"] for r in first) == [1, 2]
    assert all(r.value[0] == 0 for r in read_to_end(kafka, topics.output))  # Confluent magic byte

    snap = load(RestoreSource(kafka, topics.output, registry_url=url), horizon_s=3600, now_s=time.time())
    assert (snap.records, snap.undecodable) == (2, 0)
    assert {s.version for s in snap.identity.values()} <= {1, 2} and snap.buckets

    restarted = settings.model_copy(update={"consumer_group": "news-pipeline-restarted"})
    assert run(restarted).endswith("DONE")
    again = [decoder.decode_json(r.value)[1] for r in read_to_end(kafka, topics.output)]
    assert len(again) == 2, [(r["version"], r["headline"]) for r in again]


def test_read_to_end_reads_every_record_of_batched_partitions(
    kafka: KafkaSettings, topics: TopicSettings
) -> None:
    """tansu reports the start of the last batch + 1 as the end: a reader trusting it stops short."""
    topic = topics.output
    ensure_topics(kafka, [topic], partitions=3)
    producer = make_producer(kafka, linger_ms=50, batch_size=64 * 1024)
    for i in range(6000):
        producer.send(topic, key=str(i % 3).encode(), value=b"%d" % i, partition=i % 3)
    producer.flush()
    producer.close()
    values = sorted(int(r.value) for r in read_to_end(kafka, topic))
    assert values == list(range(6000))


@pytest.mark.parametrize("records", [0, 6000])
def test_read_to_end_stops_on_the_fetched_high_watermark(
    kafka: KafkaSettings, topics: TopicSettings, records: int
) -> None:
    """The read ends once a fetch response's high watermark says nothing follows, not after an idle poll timeout:
    with a poll timeout of an hour only that rule can end it (the idle fallback cannot), and on batched partitions it
    must not stop at tansu's short listed end either.  The read runs in a thread and is waited for with a deadline."""
    import threading

    topic = topics.output
    ensure_topics(kafka, [topic], partitions=3)
    producer = make_producer(kafka, linger_ms=50, batch_size=64 * 1024)
    for i in range(records):
        producer.send(topic, value=b"%d" % i, partition=i % 3)
    producer.flush()
    producer.close()
    got: list[int] = []
    reader = threading.Thread(
        target=lambda: got.extend(int(r.value) for r in read_to_end(kafka, topic, poll_ms=3_600_000)),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "read_to_end waited for the idle fallback"
    assert sorted(got) == list(range(records))
