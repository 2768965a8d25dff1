"""Dead letters on the real broker: a poison raw record -> dead-letter topic -> ``dlq list`` -> the cause is
removed -> ``dlq replay`` -> the item appears once in the output; a second replay does nothing.

The poison is a raw entry written with a raw_entry schema version this pipeline does not know yet (an unknown
single-object fingerprint).  The fix is deploying a pipeline that knows that version: here, registering its
fingerprint in the process's writer table, which the in-process runner's decode step uses.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastavro import schemaless_writer

from pipeline.avro import codec
from pipeline.avro.schemas import _load, writers_by_fingerprint
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.cli import main
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from tests.integration.test_output_contract import consume, poll_demo_feeds

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "avro"


def poison_bytes() -> tuple[bytes, Any]:
    v2 = _load("raw_entry", "v2", (FIXTURES / "raw_entry.compatible_v2.avsc").read_text())
    record = codec.raw_entry_to_avro(
        codec.RawEntry(
            feed_url="http://127.0.0.1:1/poison.xml",
            entry_key="guid:poison-1",
            content_hash="p" * 64,
            guid="poison-1",
            link="http://example.org/world/poison-story",
            title="Dockers strike closes Rotterdam port for a second day",
            content="<p>ROTTERDAM (Reuters) - Dock workers kept the port of Rotterdam closed on Tuesday.</p>",
            content_type="text/html",
            fetched_at_ms=1_700_000_000_000,
        )
    )
    buf = io.BytesIO()
    buf.write(codec.SINGLE_OBJECT_MAGIC + v2.fingerprint)
    schemaless_writer(buf, v2.parsed, {**record, "region": "NL"})
    return buf.getvalue(), v2


def run_pipeline(kafka: KafkaSettings, topics: TopicSettings, out: Path) -> None:
    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir=str(out), ner=False)
    assert run(settings).endswith("DONE")


def cli(capsys: pytest.CaptureFixture[str], kafka: KafkaSettings, topics: TopicSettings, *args: str) -> str:
    capsys.readouterr()
    argv = [*args, "--bootstrap-servers", kafka.bootstrap_servers, "--dead-letter-topic", topics.dead_letter]
    assert main(argv) == 0
    return capsys.readouterr().out


def test_poison_record_dead_letter_replay_once(
    kafka: KafkaSettings,
    topics: TopicSettings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poll_demo_feeds(kafka, topics, tmp_path)
    data, v2 = poison_bytes()
    ensure_topics(kafka, [topics.raw])
    producer = make_producer(kafka)
    producer.send(topics.raw, key=b"guid:poison-1", value=data).get(timeout=30)
    producer.close()

    run_pipeline(kafka, topics, tmp_path / "out1")
    before = consume(capsys, kafka, "--topic", topics.output)
    assert before and "Rotterdam" not in json.dumps(before)

    groups = [json.loads(x) for x in cli(capsys, kafka, topics, "dlq", "list", "--json").splitlines()]
    assert len(groups) == 1
    g = groups[0]
    assert (g["stage"], g["error_type"], g["count"], g["replayable"], g["replayed"]) == (
        "decode",
        "AvroDecodeError",
        1,
        1,
        0,
    )
    assert "unknown schema fingerprint" in g["reason"]
    table = cli(capsys, kafka, topics, "dlq", "list")
    assert "AvroDecodeError" in table and "1 dead letter(s) in 1 group(s)" in table

    monkeypatch.setitem(writers_by_fingerprint(), v2.fingerprint, v2)  # the fix: this version is now known
    report = cli(capsys, kafka, topics, "dlq", "replay", "--error-type", "AvroDecodeError")
    assert report.startswith("1 selected: 1 replayed (1 to " + topics.raw)
    run_pipeline(kafka, topics, tmp_path / "out2")

    after = consume(capsys, kafka, "--topic", topics.output)
    ids = [r["id"] for r in after]
    assert len(ids) == len(set(ids)) == len(before) + 1  # nothing that succeeded came out twice
    assert [r["headline"] for r in after if "Rotterdam" in r["headline"]] == [
        "Dockers strike closes Rotterdam port for a second day"
    ]

    again = cli(capsys, kafka, topics, "dlq", "replay")
    assert again.startswith("1 selected: 0 replayed (nothing produced), 1 already replayed")
    listed = json.loads(cli(capsys, kafka, topics, "dlq", "list", "--json").splitlines()[0])
    assert listed["replayed"] == 1
