"""Drain-mode throughput of the whole pipeline on a generated raw topic, against a plain consumer baseline.

    .venv/bin/python bench/bench_drain.py [--items 20000] [--ner-items 1000]

Generates distinct raw entries from the Reuters-21578 stories in ../shared/corpora (real titles and datelines,
bodies of sentences drawn at random from the whole corpus, so dedup keeps every item), produces them to a fresh raw topic
on the embedded tansu broker, then in the same run measures:
  * a plain kafka-python consumer reading the topic (the floor: Kafka read cost alone),
  * `news-pipeline run --mode drain` without NER (read, decode, normalize, dedup, language/places/keywords/topics,
    Avro encode, write to the output topic and Avro files),
  * the same with NER on a smaller topic (spaCy dominates; reported separately).
Prints a table of records/s and the ratio to the plain consumer.  Timing is wall clock on a shared machine: compare
ratios, not seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from pipeline.avro.codec import encode_raw_entry
from pipeline.beam.run import run
from pipeline.bus.broker import EmbeddedBroker
from pipeline.bus.client import consumer_config, ensure_topics, make_producer
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings

SGM = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "corpora"
    / "datelines"
    / "reuters21578"
    / "reut2-000.sgm"
)
STORY = re.compile(r"<TITLE>(.*?)</TITLE>.*?<DATELINE>(.*?)</DATELINE><BODY>(.*?)</BODY>", re.S)


def stories() -> list[tuple[str, str]]:
    text = SGM.read_text(encoding="latin-1")
    out = []
    for title, dateline, body in STORY.findall(text):
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("\x03", "")
        paras = [p.strip() for p in re.split(r"\n\s{3,}", body) if p.strip()]
        out.append((title.strip(), dateline.strip() + " " + "\n\n".join(paras)))
    return out


def generate(n: int, seed: int = 7) -> list[RawEntry]:
    """Distinct dispatches: each keeps a real story's dateline and title, with a body of sentences drawn from the
    whole corpus, so that dedup (exact and near-duplicate) keeps every item, as with a real feed mix."""
    base = stories()
    sentences = [x.strip() + "." for _, body in base for x in re.split(r"\.\s+", body) if len(x.split()) >= 6]
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        title, body = base[i % len(base)]
        dateline = body.split(" - ", 1)[0] + " - " if " - " in body[:60] else ""
        paras = [" ".join(rng.sample(sentences, 3)) for _ in range(4)]
        body = dateline + "\n\n".join(paras)
        html = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        link = f"https://bench.example.com/reuters/{i}"
        entries.append(
            RawEntry(
                feed_url="https://bench.example.com/feed.xml",
                entry_key=f"g:{i}",
                content_hash=hashlib.sha256(html.encode()).hexdigest(),
                guid=link,
                link=link,
                title=title.title(),
                content=html,
                content_type="text/html",
                published_raw="Thu, 26 Feb 1987 15:01:01 GMT",
                feed_title="Bench wire",
                feed_language="en",
                fetched_at_ms=int(time.time() * 1000),
            )
        )
    return entries


def produce(kafka: KafkaSettings, topic: str, entries: list[RawEntry]) -> None:
    ensure_topics(kafka, [topic])
    producer = make_producer(kafka, linger_ms=20, batch_size=256 * 1024)
    for e in entries:
        producer.send(topic, key=e.entry_key.encode(), value=encode_raw_entry(e))
    producer.flush()
    producer.close()


def plain_consumer(kafka: KafkaSettings, topic: str, expected: int) -> float:
    consumer = KafkaConsumer(**consumer_config(kafka, max_poll_records=2000))
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    t0 = time.perf_counter()
    n = 0
    while n < expected:
        for records in consumer.poll(timeout_ms=500).values():
            n += len(records)
    elapsed = time.perf_counter() - t0
    consumer.close()
    return elapsed


def pipeline_run(kafka: KafkaSettings, raw: str, ner: bool, out: str) -> tuple[float, int]:
    tag = uuid.uuid4().hex[:6]
    topics = TopicSettings(raw=raw, output=f"items-{tag}", dead_letter=f"dlq-{tag}", audit=f"audit-{tag}")
    settings = PipelineSettings(
        kafka=kafka, topics=topics, consumer_group=f"bench-{tag}", out_dir=out, ner=ner
    )
    t0 = time.perf_counter()
    state = run(settings)
    elapsed = time.perf_counter() - t0
    consumer = KafkaConsumer(**consumer_config(kafka))
    tp = TopicPartition(topics.output, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    n = 0
    while batch := consumer.poll(timeout_ms=1500):
        n += sum(len(r) for r in batch.values())
    consumer.close()
    if not state.endswith("DONE"):
        raise SystemExit(f"pipeline ended in state {state}")
    return elapsed, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--ner-items", type=int, default=1_000)
    args = ap.parse_args()
    entries = generate(args.items)
    rows = []
    with (
        EmbeddedBroker(storage="memory", state_dir=Path(tempfile.mkdtemp())) as broker,
        tempfile.TemporaryDirectory() as out,
    ):
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        produce(kafka, "bench-raw", entries)
        produce(kafka, "bench-raw-ner", entries[: args.ner_items])
        floor = plain_consumer(kafka, "bench-raw", len(entries))
        rows.append(("plain kafka-python consumer", len(entries), len(entries), floor))
        t, n = pipeline_run(kafka, "bench-raw", ner=False, out=out)
        rows.append(("pipeline drain, NER off", len(entries), n, t))
        t, n = pipeline_run(kafka, "bench-raw-ner", ner=True, out=out)
        rows.append(("pipeline drain, NER on", len(entries[: args.ner_items]), n, t))
    floor_rate = len(entries) / floor
    print(f"\n{'run':32} {'in':>7} {'out':>7} {'seconds':>8} {'records/s':>10} {'vs consumer':>12}")
    for name, n_in, n_out, secs in rows:
        rate = n_in / secs
        print(f"{name:32} {n_in:>7} {n_out:>7} {secs:>8.1f} {rate:>10.0f} {rate / floor_rate:>12.3f}")
    print("\nPipeline times include runner start-up and model loading; NER on runs on --ner-items entries.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
