"""Clusters survive a restart: a new run's index is rebuilt from the output topic (cluster/restore.py).

The output topic holds the French seed as an earlier run wrote it (the pipeline's own encoder, run's wire format);
a new run (new in-process index, nothing in memory) drains the English original of the same dispatch and must put
it in the seed's cluster, which it can only know from that record.  One pipeline run keeps the test short.
"""

from __future__ import annotations

import logging
import time

import pytest

from pipeline.avro.codec import encode_raw_entry
from pipeline.avro.wire import WireDecoder
from pipeline.beam.graph import ItemEncoder
from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics, make_producer
from pipeline.bus.read import read_to_end
from pipeline.model import RawEntry
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from pipeline.transforms.cluster import restore as restore_module
from pipeline.transforms.cluster.index import ClusterIndex
from pipeline.transforms.cluster.restore import load
from pipeline.transforms.dedup.restore import RestoreSource
from tests.unit.cluster.records import VARIANTS, enriched

pytestmark = pytest.mark.integration


def produce(kafka: KafkaSettings, topic: str, name: str) -> None:
    text = (VARIANTS / f"{name}.txt").read_text(encoding="utf-8")
    entry = RawEntry(
        feed_url=f"http://127.0.0.1/{name}.xml", entry_key=name, content_hash=name, content=text,
        content_type="text/plain", fetched_at_ms=int(time.time() * 1000),
    )  # fmt: skip
    producer = make_producer(kafka)
    producer.send(topic, key=name.encode(), value=encode_raw_entry(entry)).get(timeout=10)
    producer.close()


def items(kafka: KafkaSettings, topic: str) -> list[dict]:
    decoder = WireDecoder()
    return [decoder.decode_json(r.value)[1] for r in read_to_end(kafka, topic)]


@pytest.mark.parametrize("helper", [False, True], ids=["restored-here", "restored-in-a-helper-process"])
def test_a_restarted_pipeline_puts_the_english_original_in_the_seeds_cluster(
    kafka: KafkaSettings, topics: TopicSettings, helper: bool, monkeypatch, caplog
) -> None:
    """Restored in the pipeline's process, or (a core to spare, a large enough output topic: here any size) in a
    helper process started while the pipeline starts (cluster/restore.py, Prefetch)."""
    monkeypatch.setattr(restore_module, "PREFETCH_MIN_RECORDS", 0 if helper else 10**9)
    caplog.set_level(logging.INFO, logger=restore_module.__name__)
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    settings = PipelineSettings(
        kafka=kafka, topics=topics, mode="drain", out_dir="", ner=False, enrich_processes=1
    )
    earlier, _ = ClusterIndex().offer(enriched("seed-fr"))  # as the earlier run clustered and wrote it
    ((key, value),) = ItemEncoder(None, topics.output)(earlier)
    producer = make_producer(kafka)
    producer.send(topics.output, key=key, value=value).get(timeout=10)
    producer.close()
    snap = load(RestoreSource(kafka, topics.output), horizon_s=3600, now_s=time.time())
    assert [e.cluster_id for e in snap.entries] == [earlier.cluster_id] and snap.undecodable == 0

    produce(kafka, topics.raw, "seed-en")
    assert run(settings).endswith("DONE")
    got = {r["language"]: r for r in items(kafka, topics.output)}
    assert set(got) == {"fr", "en"}
    assert got["en"]["story_id"] != earlier.dispatch.story_id
    assert got["en"]["cluster_id"] == earlier.cluster_id == earlier.dispatch.story_id
    in_helper = [r.getMessage() for r in caplog.records if "restored in a helper process" in r.getMessage()]
    assert in_helper == (["cluster: 1 records restored in a helper process"] if helper else [])
