"""No input stops the pipeline: random bytes, truncated Avro, a 4 MB entry and control characters, on the real broker.

Each undecodable record becomes one dead letter with its bytes; the oversized entry comes out capped; the good ones
come out; a rerun over the same raw records (another consumer group) writes no dead letter and no record twice.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from pipeline.avro import codec
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.dlq.read import read_dead_letters
from pipeline.files import naming
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from pipeline.transforms.normalize.core import MAX_BODY_CHARS

pytestmark = pytest.mark.integration

CONTROL = "".join(chr(c) for c in range(32) if chr(c) not in "\n\t") + "\x7f\u200b\ufeff"


def entry(i: int, text: str, title: str | None = None) -> RawEntry:
    return RawEntry(
        feed_url="http://127.0.0.1:1/feed.xml",
        entry_key=f"guid:{i}",
        content_hash=f"{i:064d}",
        guid=f"g{i}",
        link=f"https://news.example.org/story/{i}",
        title=title or f"Story number {i} about the harbour",
        summary=text,
        fetched_at_ms=1_700_000_000_000,
    )


def words(rng: random.Random, n: int) -> str:
    vocab = [
        "port",
        "strike",
        "vessel",
        "minister",
        "harbour",
        "talks",
        "union",
        "cargo",
        "crane",
        "ship",
        "wage",
        "deal",
        "city",
        "police",
    ]
    return " ".join(rng.choice(vocab) for _ in range(n))


def test_poison_and_oversized_records_never_stop_the_pipeline(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    rng = random.Random(5)
    good = [entry(i, f"<p>{words(rng, 80)}.</p><p>{words(rng, 60)}.</p>") for i in range(3)]
    huge = entry(10, "<p>" + "</p><p>".join(words(rng, 200) for _ in range(3_000)) + "</p>")  # ~4 MB
    ctrl = entry(11, f"<p>Dock{CONTROL} workers {words(rng, 50)}</p>", title=f"Strike{CONTROL} ends")
    valid = [codec.encode_raw_entry(e) for e in (*good, huge, ctrl)]
    assert len(valid[3]) > 3_500_000
    poison = [os.urandom(3000), valid[0][: len(valid[0]) // 2]]  # random bytes, truncated Avro

    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    producer = make_producer(kafka, max_request_size=8 * 1024 * 1024)
    for value in (*valid[:2], poison[0], valid[3], poison[1], valid[2], valid[4]):
        producer.send(topics.raw, value=value)
    producer.flush()
    producer.close()

    out = tmp_path / "out"
    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir=str(out), ner=False)
    assert run(settings).endswith("DONE")

    items = output(kafka, topics)
    by_uri = {i["uri"]: i for i in items}
    assert set(by_uri) == {e.link for e in (*good, huge, ctrl)}
    assert 0 < len(by_uri[huge.link]["body"]) <= MAX_BODY_CHARS
    clean = by_uri[ctrl.link]
    assert not any(c in clean["headline"] + clean["body"] for c in CONTROL.replace("\u200b", ""))
    letters = [d.failure for d in read_dead_letters(kafka, topics.dead_letter)]
    assert sorted(f.original for f in letters) == sorted(poison)
    assert all(f.stage == "decode" for f in letters)
    in_files = {str(r_id) for r_id in file_ids(out)}
    assert in_files == {i["id"] for i in items}

    # The same raw records again (a crash before the commit looks like this): nothing new anywhere.
    again = settings.model_copy(update={"consumer_group": "another-group"})
    assert run(again).endswith("DONE")
    assert len(list(read_dead_letters(kafka, topics.dead_letter))) == len(letters)
    assert len(output(kafka, topics)) == len(items)


def output(kafka: KafkaSettings, topics: TopicSettings) -> list[dict]:
    return list(read_topic(kafka, ConsumeOptions(topic=topics.output, idle_timeout_s=1.5)))


def file_ids(out: Path) -> list[str]:
    import fastavro

    ids = []
    for f in naming.finished(str(out)):
        with open(out / f.name, "rb") as fh:
            ids.extend(r["id"] for r in fastavro.reader(fh))
    return ids
