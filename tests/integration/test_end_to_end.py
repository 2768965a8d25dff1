"""The whole chain on real parts: HTTP feeds on 127.0.0.1 -> poller -> tansu -> Beam (drain) -> output topic.

Asserts the seed dispatch's record, that a malformed feed, an HTML page and a poison raw message become dead letters
while the good items still come out, that Avro files are written, and that a second run adds no record.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastavro import reader

from pipeline.avro.codec import decode_failure
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.poller import poll_once
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from tests.conftest import DEMO_FEEDS, FIXTURES

pytestmark = pytest.mark.integration

POISON = b"\x00\x01 this is not an Avro raw entry \xff"


def _records(kafka: KafkaSettings, topic: str) -> list[dict]:
    return list(read_topic(kafka, ConsumeOptions(topic=topic, idle_timeout_s=1.5)))


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    root = tmp_path / "feeds"
    root.mkdir()
    for f in DEMO_FEEDS.glob("*.xml"):
        shutil.copy(f, root / f.name)
    shutil.copy(FIXTURES / "feeds" / "broken.xml", root / "broken.xml")
    shutil.copy(FIXTURES / "feeds" / "not-a-feed.html", root / "not-a-feed.html")
    return root


def test_poll_run_consume_end_to_end(
    kafka: KafkaSettings, topics: TopicSettings, feed_dir: Path, tmp_path: Path
):
    poller = PollerSettings(state_path=tmp_path / "poller.sqlite3", allow_private_hosts=("127.0.0.1",))
    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir=str(tmp_path / "out"))
    names = ["reuters-fr.xml", "wire-en.xml", "broken.xml", "not-a-feed.html"]
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])

    with DevServer(feed_dir) as server:
        feeds = [server.url_for(n) for n in names]
        report = poll_once(feeds, poller, kafka, topics)
        assert (report.ok, report.errors, report.entries_sent) == (2, 2, 3)
        producer = make_producer(kafka)
        producer.send(topics.raw, key=b"poison", value=POISON).get(timeout=30)
        producer.close()

        assert run(settings).endswith("DONE")

        items = [r for r in _records(kafka, topics.output)]
        # 3 entries polled; the tracking-parameter re-feed of the English story is a duplicate
        assert len(items) == 2
        seed = next(r for r in items if r["language"] == "fr")
        english = next(r for r in items if r["language"] == "en")
        assert seed["dateline"]["city"] == "KYIV" and seed["dateline"]["agency"] == "Reuters"
        assert seed["agency"] == "Reuters"
        assert [a["name"] for a in seed["authors"]][:2] == ["Valentyn Origienko", "Tom Balmforth"]
        assert seed["body"].startswith("Le président russe Vladimir Poutine")
        assert seed["uri"] == "https://news.example.org/reuters-fr/2022/12/19/poutine-bielorussie-visite"
        entities = {(e["text"], e["type"]) for e in seed["entities"]}
        for person in ("Vladimir Poutine", "Volodimir Zelensky", "Alexandre Loukachenko"):
            assert (person, "PERSON") in entities
        for place in ("Biélorussie", "Ukraine"):
            assert (place, "LOCATION") in entities
        assert {"UA", "BY", "RU"} <= set(seed["countries"])
        assert seed["version"] == 1 and seed["story_id"] and seed["id"]
        assert seed["ingest"]["raw_topic"] == topics.raw

        audit = _records(kafka, topics.audit)
        # same canonical URL once tracking parameters are gone, same text: an unchanged re-feed
        assert [(a["reason"], a["duplicate_of"]) for a in audit] == [("unchanged_refeed", english["id"])]

        dead = [
            decode_failure(_raw_value(kafka, topics.dead_letter, r))
            for r in _records(kafka, topics.dead_letter)
        ]
        by_stage = {(f.stage, f.feed_url.rsplit("/", 1)[-1] if f.feed_url else None): f for f in dead}
        poison = by_stage[("decode", None)]
        assert poison.original == POISON and poison.source_topic == topics.raw
        assert "C3 01" in poison.reason
        assert {"broken.xml", "not-a-feed.html"} <= {name for stage, name in by_stage if stage == "poll"}

        files = sorted((tmp_path / "out").glob(f"{topics.output}+*.avro"))
        assert files and not list((tmp_path / "out").glob(".tmp-*"))
        in_files = []
        for f in files:
            with f.open("rb") as fh:
                in_files.extend(str(r["id"]) for r in reader(fh))
        assert sorted(in_files) == sorted(r["id"] for r in items)

        # Second round over the same feeds: nothing new is polled, nothing new comes out.
        again = poll_once(feeds, poller, kafka, topics, force=True)
        assert again.entries_sent == 0
        assert run(settings).endswith("DONE")
        assert len(_records(kafka, topics.output)) == 2


def _raw_value(kafka: KafkaSettings, topic: str, record: dict) -> bytes:
    """Dead letters are read back as raw bytes to check the Failure decoder and the kept original bytes."""
    from kafka import KafkaConsumer, TopicPartition

    from pipeline.bus.client import consumer_config

    consumer = KafkaConsumer(**consumer_config(kafka))
    tp = TopicPartition(topic, record["_kafka"]["partition"])
    consumer.assign([tp])
    consumer.seek(tp, record["_kafka"]["offset"])
    try:
        for _ in range(20):
            for msg in consumer.poll(timeout_ms=500).get(tp, []):
                if msg.offset == record["_kafka"]["offset"]:
                    return msg.value
        raise AssertionError(f"offset {record['_kafka']['offset']} not found on {topic}")
    finally:
        consumer.close()
