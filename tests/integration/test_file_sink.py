"""The file sink on the real broker: files hold exactly the topic's records, also across a SIGKILL and restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import fastavro
import pytest

from pipeline.avro import codec
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.files import naming
from pipeline.files.sink import FileSink
from pipeline.model import EnrichedDispatch, Enrichment
from pipeline.settings import FileSinkSettings, KafkaSettings, TopicSettings
from tests.support import dispatch, older_item

pytestmark = pytest.mark.integration


def produce_items(kafka: KafkaSettings, topic: str, start: int, n: int) -> list[str]:
    ids = []
    with_producer = make_producer(kafka)
    try:
        for i in range(start, start + n):
            uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{topic}/{i}"))
            d = dispatch(f"https://example.org/{i}", f"Body {i}.").replace(id=uid, story_id=uid)
            value = codec.encode("news_item", codec.news_item_to_avro(EnrichedDispatch(d, Enrichment())))
            with_producer.send(topic, key=d.story_id.encode(), value=value)
            ids.append(d.id)
        with_producer.flush()
    finally:
        with_producer.close()
    return ids


def ids_in_files(out: Path, topic: str) -> list[str]:
    found = []
    for f in naming.finished(str(out), topic):
        with open(out / f.name, "rb") as fh:
            found.extend(str(r["id"]) for r in fastavro.reader(fh))
    return found


def wait_for(cond, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_catch_up_writes_each_record_once_and_resumes_from_the_files(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.output], partitions=3)
    ids = produce_items(kafka, topics.output, 0, 60)
    roll = FileSinkSettings(roll_records=7)
    stats = FileSink(kafka, topics.output, str(tmp_path), "g1", roll).run(until_end=True)
    assert stats.records == 60 and len(stats.files) >= 60 // 7
    assert sorted(ids_in_files(tmp_path, topics.output)) == sorted(ids)

    # A killed sink leaves a temporary file; a new group has no committed offsets: the files alone say where
    # each partition resumes, so nothing is written twice.
    (tmp_path / naming.temp_name(topics.output, 0, 10_000)).write_bytes(b"partial")
    ids += produce_items(kafka, topics.output, 60, 25)
    stats = FileSink(kafka, topics.output, str(tmp_path), "another-group", roll).run(until_end=True)
    assert stats.records == 25 and stats.removed_temp == 1
    in_files = ids_in_files(tmp_path, topics.output)
    assert sorted(in_files) == sorted(ids)
    assert sorted(os.listdir(tmp_path)) == sorted(f.name for f in naming.finished(str(tmp_path)))


def test_sigkilled_sink_restarts_without_loss_or_repeat(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.output], partitions=2)
    ids = produce_items(kafka, topics.output, 0, 3000)
    cmd = [
        sys.executable, "-m", "pipeline.cli", "files", "--bootstrap-servers", kafka.bootstrap_servers,
        "--topic", topics.output, "--out-dir", str(tmp_path), "--group", "g-kill", "--follow",
        "--roll-records", "200",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(naming.finished(str(tmp_path), topics.output)) >= 2, 60, "two finished files")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = len(ids_in_files(tmp_path, topics.output))
    assert 0 < before < 3000, before  # killed mid-way
    ids += produce_items(kafka, topics.output, 3000, 100)
    stats = FileSink(kafka, topics.output, str(tmp_path), "g-kill").run(until_end=True)
    in_files = ids_in_files(tmp_path, topics.output)
    assert len(in_files) == len(set(in_files)) == 3100
    assert sorted(in_files) == sorted(ids)
    assert stats.records == 3100 - before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(naming.TMP)]


def test_log_ends_are_the_true_ends_where_the_listed_ends_fall_short(
    kafka: KafkaSettings, topics: TopicSettings
):
    """After batched writes the broker's ListOffsets answer can be short of the log end (tansu: 9,917 of 10,000);
    ``log_ends`` reads the end from a fetch response.  The writes' own acknowledgements say where the log ends."""
    from kafka import KafkaConsumer, TopicPartition

    from pipeline.bus.client import consumer_config
    from pipeline.bus.read import log_ends

    ensure_topics(kafka, [topics.output], partitions=2)
    producer = make_producer(kafka, linger_ms=50)
    try:
        sent = [producer.send(topics.output, value=b"x" * 100, partition=i % 2) for i in range(20_000)]
        producer.flush()
        acked: dict[int, int] = {}
        for f in sent:
            meta = f.get(timeout=30)
            acked[meta.partition] = max(acked.get(meta.partition, 0), meta.offset + 1)
    finally:
        producer.close()
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=None))
    try:
        tps = [TopicPartition(topics.output, p) for p in (0, 1)]
        listed = {tp.partition: end for tp, end in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()
    print(f"\nacknowledged ends {acked}, listed ends {listed}")
    assert log_ends(kafka, topics.output) == acked


def test_a_stopped_sink_catches_up_to_the_ends_it_is_given(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    """The pipeline stops its file sink with the output topic's ends after its last acknowledged write
    (beam/run.py): the sink stops only once every partition reached them, even when polls come back empty before
    (a slow broker, a broker just restarted), instead of when one empty poll and the listed end say it is done."""
    import threading

    ensure_topics(kafka, [topics.output], partitions=1)
    ids = produce_items(kafka, topics.output, 0, 20)
    sink = FileSink(kafka, topics.output, str(tmp_path), "g-ends")
    stop = threading.Event()
    result: dict = {}
    runner = threading.Thread(target=lambda: result.setdefault("stats", sink.run(stop=stop)), daemon=True)
    runner.start()
    wait_for(lambda: sink.stats.records == 20, 60, "the first 20 records read")
    sink.stop_at = {0: 30}  # ten records the topic does not hold yet
    stop.set()
    runner.join(timeout=2.0)
    assert runner.is_alive(), "the sink stopped before reaching the ends it was given"
    ids += produce_items(kafka, topics.output, 20, 10)
    runner.join(timeout=60)
    assert not runner.is_alive() and result["stats"].records == 30
    assert sorted(ids_in_files(tmp_path, topics.output)) == sorted(ids)


def test_a_corrupt_item_with_a_valid_header_is_a_dead_letter_and_the_rest_are_filed(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    """Records written with the files' schema are copied as datums (codec.datum_of checks each whole first): one
    whose body is garbage behind a valid header must not reach a file, but the dead letters, bytes and all."""
    from pipeline.consume import ConsumeOptions, read_topic

    ensure_topics(kafka, [topics.output, topics.dead_letter], partitions=1)
    ids = produce_items(kafka, topics.output, 0, 5)
    good = codec.encode(
        "news_item", codec.news_item_to_avro(EnrichedDispatch(dispatch(None, "b"), Enrichment()))
    )
    poison = good[:10] + b"\xff" * 40  # the current news_item fingerprint, then no datum
    producer = make_producer(kafka)
    producer.send(topics.output, key=b"poison", value=poison)
    producer.flush()
    producer.close()
    ids += produce_items(kafka, topics.output, 5, 5)
    sink = FileSink(kafka, topics.output, str(tmp_path), "g-poison", dead_letter_topic=topics.dead_letter)
    stats = sink.run(until_end=True)
    assert (stats.records, stats.dead_letters) == (10, 1)
    assert ids_in_files(tmp_path, topics.output) == ids  # one partition: offset order
    dead = list(read_topic(kafka, ConsumeOptions(topic=topics.dead_letter, idle_timeout_s=1.5)))
    assert len(dead) == 1
    assert dead[0]["stage"] == "files" and "corrupt news_item" in dead[0]["reason"]
    assert dead[0]["source_offset"] == 5


def test_group_backlog_counts_what_a_drain_of_the_group_has_left(
    kafka: KafkaSettings, topics: TopicSettings
) -> None:
    """bus.read.group_backlog, which the enrich pool's automatic size asks for a drain: from the earliest offset for
    a group that never committed, from its commits after; None for a topic that does not exist."""
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata

    from pipeline.bus.client import make_consumer
    from pipeline.bus.read import group_backlog, log_ends

    ensure_topics(kafka, [topics.output], partitions=2)
    produce_items(kafka, topics.output, 0, 12)
    assert group_backlog(kafka, topics.output, "g-new") == 12
    consumer = make_consumer(kafka, group_id="g-half", enable_auto_commit=False)
    try:
        ends = log_ends(kafka, topics.output)  # the true ends (tansu's listed ends can be short)
        assert sum(ends.values()) == 12
        consumer.commit(
            {TopicPartition(topics.output, p): OffsetAndMetadata(e // 2, "", -1) for p, e in ends.items()}
        )
        left = sum(e - e // 2 for e in ends.values())
    finally:
        consumer.close(autocommit=False)
    assert group_backlog(kafka, topics.output, "g-half") == left
    assert group_backlog(kafka, "no-such-topic-" + topics.output, "g-new", timeout_s=0.5) is None


def test_items_of_an_older_schema_version_are_decoded_into_the_files_between_copied_ones(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    """Current items go into the files as their datums; one written with an older released news_item schema takes
    the decode path and lands between them, in offset order, read back as the current schema decodes it."""
    ensure_topics(kafka, [topics.output], partitions=1)
    ids = produce_items(kafka, topics.output, 0, 3)
    uid = str(uuid.uuid4())
    d = dispatch("https://example.org/old", "An older writer.").replace(id=uid, story_id=uid)
    old = older_item(codec.encode("news_item", codec.news_item_to_avro(EnrichedDispatch(d, Enrichment()))))
    assert codec.datum_of("news_item", old) is None  # it does take the decode path
    producer = make_producer(kafka)
    producer.send(topics.output, key=b"old", value=old)
    producer.flush()
    producer.close()
    ids += [d.id] + produce_items(kafka, topics.output, 3, 3)
    stats = FileSink(kafka, topics.output, str(tmp_path), "g-old").run(until_end=True)
    assert (stats.records, stats.dead_letters) == (7, 0)
    assert ids_in_files(tmp_path, topics.output) == ids
