"""The Dataflow job, translated offline with ``news-pipeline deploy dataflow --dry-run``: streaming on Runner v2,
the custom worker image and options set, step labels equal to the committed snapshot, no Java in the default mode.

If a step label changed on purpose, regenerate the snapshot (and plan a --transform_name_mapping for --update):
    UPDATE_STEP_LABELS=1 .venv/bin/pytest tests/pipeline/test_dataflow_job.py   (see docs/deploy.md)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.deploy.dataflow import java_steps, step_labels

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "deploy" / "dataflow_step_labels.txt"
SECRET = "s3cr3t-sentinel-7f1c"
IMAGE = "europe-west1-docker.pkg.dev/news-proj/news/news-pipeline-worker:test"


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dataflow") / "job.json"
    argv = ["deploy", "dataflow", "--dry-run", "--out", str(out), "--image", IMAGE, "--project", "news-proj"]
    argv += ["--bootstrap-servers", "kafka-1.internal:9093"]
    argv += ["--", "--security_protocol=SASL_SSL", "--sasl_mechanism=SCRAM-SHA-512", "--sasl_username=news"]
    previous = os.environ.get("KAFKA_SASL_PASSWORD")
    os.environ["KAFKA_SASL_PASSWORD"] = SECRET  # read at launch: must not end up in the job
    try:
        assert main(argv) == 0
    finally:
        if previous is None:
            del os.environ["KAFKA_SASL_PASSWORD"]
        else:
            os.environ["KAFKA_SASL_PASSWORD"] = previous
    return json.loads(out.read_text())


def test_job_is_streaming_on_runner_v2_with_the_worker_image(job):
    assert job["job"]["type"] == "JOB_TYPE_STREAMING"
    env = job["job"]["environment"]
    assert "use_runner_v2" in env["experiments"]
    assert "enable_streaming_engine" in env["experiments"]
    (pool,) = env["workerPools"]
    assert [c["containerImage"] for c in pool["sdkHarnessContainerImages"]] == [IMAGE]
    assert {e["container_image"] for e in job["pipeline"]["environments"].values()} == {IMAGE}


def test_options_ship_the_package_and_read_in_stream_mode(job):
    o = job["options"]
    assert o["runner"] == "DataflowRunner" and o["streaming"] is True and o["dry_run"] is True
    assert o["read_mode"] == "stream"
    assert o["sdk_container_image"] == IMAGE
    assert Path(o["setup_file"]).name == "setup.py"
    assert o["kafka_bootstrap_servers"] == "kafka-1.internal:9093"
    assert o["security_protocol"] == "SASL_SSL" and o["sasl_mechanism"] == "SCRAM-SHA-512"


def test_no_secret_in_the_job(job):
    assert SECRET not in json.dumps(job)


def test_no_step_needs_java_in_the_default_mode(job):
    assert java_steps(job) == []


def test_source_steps_spread_partitions_and_watch_for_new_ones(job):
    labels = set(step_labels(job))
    base = "ReadRawEntries/ReadKafkaPython/"
    for step in (
        "DiscoverPartitions",
        "SpreadPartitions",
        "ReadPartitions",
        "WatchPartitions",
        "ReadNewPartitions",
    ):
        assert base + step in labels


def test_step_labels_equal_the_committed_snapshot(job):
    labels = step_labels(job)
    if os.environ.get("UPDATE_STEP_LABELS") == "1":
        SNAPSHOT.write_text("\n".join(labels) + "\n")
    expected = SNAPSHOT.read_text().split()
    added, removed = sorted(set(labels) - set(expected)), sorted(set(expected) - set(labels))
    assert (added, removed) == ([], []), (
        "step labels changed: Dataflow --update matches steps by label. If intended, regenerate "
        f"{SNAPSHOT.name} and document a --transform_name_mapping. added={added} removed={removed}"
    )
