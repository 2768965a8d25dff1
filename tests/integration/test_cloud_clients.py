"""A local ``news-pipeline run`` imports Beam without its Google Cloud and MongoDB clients (beam/cloud_clients.py)
and still drains every record to the topic and the files; a run that names something remote keeps them.  Each case
runs in its own interpreter: the decision is about what a fresh process imports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.beam.cloud_clients import CLOUD_MODULES
from pipeline.bus.client import ensure_topics
from pipeline.settings import KafkaSettings, TopicSettings
from tests.integration.test_run_signals import _count, _send
from tests.support import json_child

pytestmark = pytest.mark.integration

# What a process holds for each cloud module after it ran: "absent" (marked absent), "loaded" or "never imported".
REPORT = f"""
import json, sys
MODULES = {CLOUD_MODULES!r}
def state(name):
    if name not in sys.modules:
        return "never imported"
    return "absent" if sys.modules[name] is None else "loaded"
def report(**extra):
    print(json.dumps({{"modules": {{n: state(n) for n in MODULES}}, **extra}}))
"""

CLI_CHILD = (
    REPORT
    + """
import logging
class Kept(logging.Handler):  # what Beam's MongoDB IO logs at warning level or above while the run imports it
    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen = []
    def emit(self, record):
        self.seen.append(record.getMessage())
kept = Kept()
logging.getLogger("apache_beam.io.mongodbio").addHandler(kept)
from pipeline import cli
rc = cli.main(sys.argv[1:])
report(rc=rc, mongo_warnings=kept.seen)
"""
)

DECIDE_CHILD = (
    REPORT
    + """
from pipeline.beam.cloud_clients import skip_for_local_run
args, paths = json.loads(sys.argv[1]), json.loads(sys.argv[2])
skipped = skip_for_local_run(args, paths)
import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to
with beam.Pipeline(runner=FnApiRunner()) as p:
    assert_that(p | beam.Create([1, 2, 3]) | beam.Map(lambda x: x * 2), equal_to([2, 4, 6]))
schemes = sorted({type(fs).__name__ for fs in [FileSystems.get_filesystem("/tmp/x")]})
report(skipped=skipped, local_fs=schemes)
"""
)


def test_a_local_cli_run_drains_without_the_cloud_clients(
    kafka: KafkaSettings, topics: TopicSettings, tmp_path: Path
) -> None:
    ensure_topics(kafka, [topics.raw, topics.output, topics.dead_letter, topics.audit])
    _send(kafka, topics.raw, range(0, 8))
    out_dir = tmp_path / "files"
    got = json_child(
        CLI_CHILD,
        "run",
        "--mode=drain",
        "--no-ner",
        "--enrich-processes=0",
        f"--bootstrap-servers={kafka.bootstrap_servers}",
        f"--raw-topic={topics.raw}",
        f"--output-topic={topics.output}",
        f"--dead-letter-topic={topics.dead_letter}",
        f"--audit-topic={topics.audit}",
        f"--group=g-{topics.output}",
        f"--out-dir={out_dir}",
    )
    assert got["rc"] == 0
    assert set(got["modules"].values()) == {"absent"}, got["modules"]
    # MongoDB's client marked absent: its guard's "no compatible bson package" warning is not shown to the user
    assert got["mongo_warnings"] == []
    assert _count(kafka, topics.output) == 8
    assert list(out_dir.glob("*.avro")), "the file sink wrote no file"


@pytest.mark.parametrize(
    ("args", "paths", "skipped"),
    [
        ([], ["/tmp/out"], True),
        (["--runner=DataflowRunner"], [], False),
        (["--runner", "DataflowRunner"], [], False),
        ([], ["gs://bucket/out"], False),
        (["--temp_location=gs://bucket/tmp"], [], False),
    ],
)
def test_only_a_run_that_names_nothing_remote_skips_them(
    args: list[str], paths: list[str], skipped: bool
) -> None:
    got = json_child(DECIDE_CHILD, json.dumps(args), json.dumps(paths))
    assert got["skipped"] is skipped
    assert got["local_fs"] == ["LocalFileSystem"]  # Beam's file systems still work for local paths
    if skipped:
        assert set(got["modules"].values()) == {"absent"}, got["modules"]
    else:  # Beam loaded the clients as it always does (the [gcp] extra is installed here)
        assert got["modules"]["google.cloud.storage"] == "loaded"
        assert got["modules"]["pymongo"] == "loaded"
        assert got["modules"]["apache_beam.io.gcp.bigquery"] == "loaded"
