"""`topics`, `status`, the drain progress bar and `--help`, against the real broker and the real CLI process."""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from pipeline.bus.client import consumer_config, ensure_topics, make_producer
from pipeline.cli import build_parser
from pipeline.settings import KafkaSettings, TopicSettings
from tests.conftest import REPO
from tests.integration.test_cli_errors import cli


def produce(kafka: KafkaSettings, topic: str, n: int, partitions: int = 3) -> dict[int, int]:
    """``n`` small records in multi-record batches; returns records per partition as the producer saw them acked."""
    ensure_topics(kafka, [topic], partitions)
    producer = make_producer(kafka, linger_ms=50)
    futures = [producer.send(topic, value=f"junk {i}".encode()) for i in range(n)]
    producer.flush()
    producer.close()
    counts: dict[int, int] = {}
    for f in futures:
        meta = f.get(timeout=10)
        counts[meta.partition] = counts.get(meta.partition, 0) + 1
    return counts


def commit(kafka: KafkaSettings, group: str, topic: str, partition: int, offset: int) -> None:
    consumer = KafkaConsumer(**consumer_config(kafka, group_id=group))
    try:
        consumer.commit({TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)})
    finally:
        consumer.close(autocommit=False)


def test_topics_counts_records_and_group_lag(kafka: KafkaSettings, topics: TopicSettings) -> None:
    counts = produce(kafka, topics.raw, 900)
    part = max(counts, key=counts.get)
    commit(kafka, f"g-{topics.raw}", topics.raw, part, 7)
    run = cli("topics", "--bootstrap-servers", kafka.bootstrap_servers, "--topic", topics.raw, "--json")
    assert run.code == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    parts = {r["partition"]: r for r in rows if r["kind"] == "partition"}
    assert {
        p: r["records"] for p, r in parts.items() if r["records"]
    } == counts  # counted, not the broker's guess
    lags = {r["partition"]: r for r in rows if r["kind"] == "group" and r["group"] == f"g-{topics.raw}"}
    assert (lags[part]["committed"], lags[part]["lag"]) == (7, counts[part] - 7)
    for p in set(counts) - {part}:  # never committed there: everything is still to read
        assert (lags[p]["committed"], lags[p]["lag"]) == (None, counts[p])
    total = sum(counts.values()) - 7
    table = cli("topics", "--bootstrap-servers", kafka.bootstrap_servers, "--topic", topics.raw)
    assert f"g-{topics.raw} on {topics.raw}: lag {total:,}" in table.out


def run_in_pty(args: list[str], timeout: float = 300.0) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (so progress bars show); returns (exit code, terminal text)."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", *args], stdout=subprocess.DEVNULL, stderr=slave, env=env
    )
    os.close(slave)
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    code = proc.wait(timeout=timeout)
    reader.join(timeout=10)
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    return code, text


def test_drain_progress_then_status_and_topics(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    n = 60
    produce(kafka, topics.raw, n)  # not Avro: each record becomes a dead letter, and still counts as drained
    group = f"g-{topics.raw}"
    flags = [
        "--bootstrap-servers", kafka.bootstrap_servers, "--raw-topic", topics.raw, "--output-topic", topics.output,
        "--dead-letter-topic", topics.dead_letter, "--audit-topic", topics.audit, "--group", group,
    ]  # fmt: skip
    code, screen = run_in_pty(["run", *flags, "--no-ner", "--out-dir", str(tmp_path / "out")])
    assert code == 0, screen
    assert re.search(rf"drain {re.escape(topics.raw)}.*\b{n}/{n}\b", screen), screen
    # the automatic stage pool's choice, and why: too small a drain, or the other core busy when it started
    busy = r"load [\d.]+( over the last minute, [\d.]+ cores busy with other processes now)?"
    why = rf"a drain of {n} records|{busy} >= \d+ of \d+ usable cores|1 usable core"
    assert re.search(rf"stage pool: none, the pipeline process works alone \(automatic: ({why})", screen), (
        screen
    )

    status = cli("status", *flags, "--once", "--state", str(tmp_path / "none.sqlite3"))
    assert status.code == 0, status.err
    assert re.search(rf"{re.escape(topics.raw)}\s.*raw\s.*\b{n}\b", status.out), status.out
    assert f"lag  {group} on {topics.raw}: 0" in status.out
    assert re.search(rf"dead letters\s+{n}; last: .*decode/", status.out), status.out

    listed = cli("topics", "--bootstrap-servers", kafka.bootstrap_servers, "--topic", topics.raw, "--json")
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert sum(r["records"] for r in rows if r["kind"] == "partition") == n
    assert all(r["lag"] == 0 for r in rows if r["kind"] == "group" and r["group"] == group)


def _parsers(parser: argparse.ArgumentParser, path: str = "news-pipeline"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_help_says_what_the_tool_is_and_documents_every_option() -> None:
    parser = build_parser()
    assert parser.description.startswith("Streaming news ingestion")
    undocumented = [
        f"{path} {action.option_strings[0]}"
        for path, p in _parsers(parser)
        if path.split()[1:2]
        in (["run"], ["consume"], ["inspect"], ["demo"], ["broker"], ["topics"], ["status"])
        or path.startswith("news-pipeline dlq")
        for action in p._actions
        if action.option_strings and not action.help
    ]
    assert undocumented == []


def test_flags_only_where_they_apply() -> None:
    parsers = dict(_parsers(build_parser()))
    for path in (
        "news-pipeline broker",
        "news-pipeline inspect",
        "news-pipeline demo",
        "news-pipeline feeds add",
    ):
        flags = {f for a in parsers[path]._actions for f in a.option_strings}
        assert not flags & {"--bootstrap-servers", "--sasl-username", "--security-protocol"}, path
    for path in ("news-pipeline run", "news-pipeline consume", "news-pipeline files"):
        helped = parsers[path].format_help()
        assert "--schema-registry-url" in helped and "--schema-registry " not in helped, path
    old = build_parser().parse_args(["consume", "--schema-registry", "http://127.0.0.1:1"])
    assert old.schema_registry_url == "http://127.0.0.1:1"  # the old spelling still works, hidden
