"""Output contract on the real broker: demo feeds -> pipeline -> output topic + Avro files -> consume CLI.

The consumed JSON equals the records the pipeline wrote (its Avro files are the source of truth for what was
emitted), every demo record round-trips through both wire formats, and the consumer's start positions and filters
behave as documented.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import fastavro
import pytest

from pipeline.avro import codec
from pipeline.avro.registry import registry_from_url
from pipeline.avro.wire import ConfluentEncoder, SingleObjectEncoder, WireDecoder
from pipeline.beam.run import run
from pipeline.cli import main
from pipeline.devserver import FeedServer
from pipeline.files import naming
from pipeline.poller import poll_once
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from tests.conftest import DEMO_FEEDS


def poll_demo_feeds(kafka: KafkaSettings, topics: TopicSettings, state: Path) -> None:
    with FeedServer(DEMO_FEEDS) as server:
        feeds = [server.url_for(p.name) for p in sorted(DEMO_FEEDS.glob("*.xml"))]
        settings = PollerSettings(state_path=state / "poller.sqlite3", allow_private_hosts=("127.0.0.1",))
        poll_once(feeds, settings, kafka, topics)


def file_records(out_dir: Path) -> list[dict[str, Any]]:
    names = sorted(os.listdir(out_dir))
    assert names and all(naming.parse(n) is not None for n in names), names  # finished files only, no temp
    records = []
    for name in names:
        with open(out_dir / name, "rb") as fh:
            records.extend(codec.jsonable(r) for r in fastavro.reader(fh))
    return records


def consume(capsys: pytest.CaptureFixture[str], kafka: KafkaSettings, *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    argv = ["consume", "--bootstrap-servers", kafka.bootstrap_servers, "--idle-timeout", "1.5", *args]
    assert main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def demo_run(kafka: KafkaSettings, tmp_path_factory: pytest.TempPathFactory) -> tuple[TopicSettings, Path]:
    import uuid

    tag = uuid.uuid4().hex[:8]
    topics = TopicSettings(
        raw=f"raw-{tag}", output=f"items-{tag}", dead_letter=f"dlq-{tag}", audit=f"aud-{tag}"
    )
    tmp = tmp_path_factory.mktemp("contract")
    poll_demo_feeds(kafka, topics, tmp)
    out = tmp / "out"
    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir=str(out), ner=False)
    assert run(settings).endswith("DONE")
    return topics, out


def test_consumed_json_equals_the_records_the_pipeline_wrote(
    demo_run: tuple[TopicSettings, Path], kafka: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    topics, out = demo_run
    consumed = consume(capsys, kafka, "--topic", topics.output)
    assert consumed and all(r["_kafka"]["schema"] == "news_item" for r in consumed)
    assert all(r["_kafka"]["key"] == r["story_id"] for r in consumed)
    stripped = sorted(
        ({k: v for k, v in r.items() if k != "_kafka"} for r in consumed), key=lambda r: r["id"]
    )
    assert stripped == sorted(file_records(out), key=lambda r: r["id"])


def test_demo_records_round_trip_through_both_wire_formats(demo_run: tuple[TopicSettings, Path]) -> None:
    _, out = demo_run
    registry = registry_from_url("mock://contract")
    decoder = WireDecoder(registry)
    for record in file_records(out):
        for encoder in (SingleObjectEncoder(), ConfluentEncoder(registry, "items", "topic-record")):
            name, back = decoder.decode_json(encoder.encode("news_item", record))
            assert name == "news_item" and back == record


def test_start_positions_group_and_time(
    demo_run: tuple[TopicSettings, Path], kafka: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    topics, _ = demo_run
    everything = consume(capsys, kafka, "--topic", topics.output)
    first = consume(capsys, kafka, "--topic", topics.output, "--group", "contract-g", "--max-records", "1")
    rest = consume(capsys, kafka, "--topic", topics.output, "--group", "contract-g")
    assert [r["id"] for r in first + rest] == [r["id"] for r in everything]
    assert consume(capsys, kafka, "--topic", topics.output, "--group", "contract-g") == []
    oldest = min(r["_kafka"]["timestamp"] for r in everything)
    assert len(consume(capsys, kafka, "--topic", topics.output, "--from-time", str(oldest))) == len(
        everything
    )
    assert consume(capsys, kafka, "--topic", topics.output, "--from-time", "2999-01-01T00:00:00Z") == []


def test_filters_and_table(
    demo_run: tuple[TopicSettings, Path], kafka: KafkaSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    topics, _ = demo_run
    everything = consume(capsys, kafka, "--topic", topics.output)
    for flag, value, pick in [
        ("--language", "fr", lambda r: r["language"] == "fr"),
        ("--agency", "reuters", lambda r: (r["agency"] or "").lower() == "reuters"),
        ("--country", "UA", lambda r: "UA" in r["countries"]),
    ]:
        got = consume(capsys, kafka, "--topic", topics.output, flag, value)
        assert [r["id"] for r in got] == [r["id"] for r in everything if pick(r)], flag
    capsys.readouterr()
    assert (
        main(
            [
                "consume",
                "--bootstrap-servers",
                kafka.bootstrap_servers,
                "--topic",
                topics.output,
                "--idle-timeout",
                "1.5",
                "--format",
                "table",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("offset") and len(lines) == len(everything) + 1
