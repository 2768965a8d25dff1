"""Dedup on the real chain: devserver feeds -> poller -> tansu -> Beam (drain) -> output and audit topics.

The seed, a tracking-parameter copy, a retitled republication by another outlet and an update ("MISE A JOUR 1-")
go through poll -> run: the output holds version 1 and version 2 of one story_id, the audit topic the duplicates.
Then the pipeline starts again from scratch (fresh consumer group: every raw record is replayed, as after a kill
before the offsets were committed, and local Beam state is gone): still two records.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.beam.run import run
from pipeline.bus.client import ensure_topics
from pipeline.consume import ConsumeOptions, read_topic
from pipeline.devserver import DevServer
from pipeline.poller import poll_once
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, PipelineSettings, TopicSettings
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration


def _records(kafka: KafkaSettings, topic: str) -> list[dict]:
    return list(read_topic(kafka, ConsumeOptions(topic=topic, idle_timeout_s=1.5)))


def test_one_story_two_versions_across_feeds_and_restarts(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(FIXTURES / "dedup/feeds/reuters-v1.xml", feeds / "reuters.xml")
    shutil.copy(FIXTURES / "dedup/feeds/courrier.xml", feeds / "courrier.xml")
    poller = PollerSettings(state_path=tmp_path / "poller.sqlite3", allow_private_hosts=("127.0.0.1",))
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])

    with DevServer(feeds) as server:
        urls = [server.url_for("reuters.xml"), server.url_for("courrier.xml")]
        first = poll_once(urls, poller, kafka, topics)
        assert first.entries_sent == 3  # seed, tracking copy, republication
        # the agency's feed, later (a second URL of the same outlet: the first is not due again yet)
        shutil.copy(FIXTURES / "dedup/feeds/reuters-v2.xml", feeds / "reuters-later.xml")
        second = poll_once([server.url_for("reuters-later.xml")], poller, kafka, topics)
        assert second.entries_sent == 3  # seed and tracking copy again, and the update

    settings = PipelineSettings(kafka=kafka, topics=topics, mode="drain", out_dir="", ner=False)
    assert run(settings).endswith("DONE")
    items = _records(kafka, topics.output)
    assert sorted(r["version"] for r in items) == [1, 2]
    v1, v2 = sorted(items, key=lambda r: r["version"])
    assert v1["story_id"] == v2["story_id"] and v2["supersedes"] == v1["id"]
    assert "paragraph(s) added" in v2["change_summary"]
    audit = _records(kafka, topics.audit)
    reasons = {r["reason"]: r for r in audit}
    assert "near_duplicate" in reasons and reasons["near_duplicate"]["story_id"] == v1["story_id"]
    assert reasons["near_duplicate"]["outlet"] or reasons["near_duplicate"]["feed_url"].endswith(
        "courrier.xml"
    )
    assert {"canonical_url", "unchanged_refeed"} & set(reasons)

    restarted = settings.model_copy(update={"consumer_group": "news-pipeline-restarted"})
    assert run(restarted).endswith("DONE")
    again = _records(kafka, topics.output)
    assert len(again) == 2, [(r["version"], r["headline"]) for r in again]
    assert (
        len(_records(kafka, topics.audit)) >= len(audit) + 6
    )  # every replayed item was audited, none emitted
