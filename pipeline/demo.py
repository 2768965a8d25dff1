"""``news-pipeline demo``: the whole chain on the embedded broker and the bundled sample feeds.

Starts tansu on a free loopback port and a feed server on 127.0.0.1 serving ``pipeline/data/demo_feeds`` (the seed
Reuters dispatch as an RSS item, and an English wire feed with a tracking-parameter re-feed), polls them into the raw
topic, runs the Beam pipeline in drain mode (Avro files under ``out/``), then consumes the output topic and prints
each record as one JSON line.  Progress goes to stderr, records to stdout.  The demo's broker records its address
in the demo's temporary folder, never in ``.news-pipeline/broker.json``: a broker started by ``news-pipeline broker``
keeps running and stays findable.
"""

from __future__ import annotations

import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from pipeline.beam.run import run
from pipeline.bus.broker import EmbeddedBroker
from pipeline.consume import ConsumeOptions, print_records, read_topic
from pipeline.devserver import FeedServer
from pipeline.ops.offsets import partition_offsets
from pipeline.poller import poll_once
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings


def demo_feed_dir() -> Path:
    return Path(str(resources.files("pipeline") / "data" / "demo_feeds"))


def _say(msg: str) -> None:
    print(f"[demo] {msg}", file=sys.stderr, flush=True)


def run_demo(out_dir: str = "out", ner: bool = True) -> int:
    t0 = time.monotonic()
    topics = TopicSettings()
    with (
        tempfile.TemporaryDirectory(prefix="news-demo-") as tmp,
        EmbeddedBroker(state_dir=Path(tmp) / "broker", storage="memory") as broker,  # thrown away at the end
    ):
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
        _say(f"embedded broker (tansu) on {broker.bootstrap_servers}")
        with FeedServer(demo_feed_dir()) as server:
            feeds = [server.url_for(p.name) for p in sorted(demo_feed_dir().glob("*.xml"))]
            _say(f"serving {len(feeds)} sample feeds on {server.url_for('')}")
            poller = PollerSettings(
                state_path=Path(tmp) / "poller.sqlite3", allow_private_hosts=("127.0.0.1",)
            )
            report = poll_once(feeds, poller, kafka, topics)
            _say(f"polled: {report}")
        settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir=out_dir, ner=ner)
        t1 = time.monotonic()
        state = run(settings)
        _say(f"pipeline {state} in {time.monotonic() - t1:.1f}s; Avro files in {out_dir}/")
        n = print_records(
            read_topic(kafka, ConsumeOptions(topic=topics.output, idle_timeout_s=2.0)), sys.stdout
        )
        dups = sum(o.records for o in partition_offsets(kafka, [topics.audit]))
        _say(
            f"{n} record(s) on {topics.output}, {dups} duplicate(s) suppressed (notices on {topics.audit}); "
            f"whole demo took {time.monotonic() - t0:.1f}s"
        )
    return 0 if state.endswith("DONE") and n > 0 else 1
