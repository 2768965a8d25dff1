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
from pipeline.deploy.dataflow import DataflowJob, java_steps, step_labels, translate

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "deploy" / "dataflow_step_labels.txt"
SECRET = "s3cr3t-sentinel-7f1c"
IMAGE = "europe-west1-docker.pkg.dev/news-proj/news/news-pipeline-worker:test"


SECRET_NAME = "projects/news-proj/secrets/kafka-password"
BASE = ["deploy", "dataflow", "--dry-run", "--image", IMAGE, "--project", "news-proj"]
BASE += ["--bootstrap-servers", "kafka-1.internal:9093"]
SASL = ["--security_protocol=SASL_SSL", "--sasl_mechanism=SCRAM-SHA-512", "--sasl_username=news"]


@pytest.fixture(scope="module")
def password_in_env():
    """The launcher's environment holds the password (as on a developer's machine): none of it may reach the job."""
    previous = os.environ.get("KAFKA_SASL_PASSWORD")
    os.environ["KAFKA_SASL_PASSWORD"] = SECRET
    yield
    if previous is None:
        del os.environ["KAFKA_SASL_PASSWORD"]
    else:
        os.environ["KAFKA_SASL_PASSWORD"] = previous


@pytest.fixture(scope="module")
def job(tmp_path_factory, password_in_env) -> dict:
    out = tmp_path_factory.mktemp("dataflow") / "job.json"
    assert main([*BASE, "--out", str(out), "--", *SASL, f"--sasl_password_secret={SECRET_NAME}"]) == 0
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def translated(password_in_env):
    job = DataflowJob(project="news-proj", sdk_container_image=IMAGE)
    argv = job.argv(["--kafka_bootstrap_servers=kafka-1.internal:9093", *SASL])
    argv.append(f"--sasl_password_secret={SECRET_NAME}")
    return translate(argv)[0]


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
    assert job["options"]["sasl_password_secret"] == SECRET_NAME


def test_no_secret_in_any_payload_of_the_pipeline_proto_decoded_the_way_beam_encodes_it(translated):
    """Every bytes field of the portable pipeline and the Dataflow job request: raw, zlib/bz2-decompressed, and pickled
    payloads (DoFns, coders, window fns) unpickled with Beam's pickler and re-pickled uncompressed, so a
    ``SecretStr`` (which pickles its value) anywhere in a DoFn's state shows up in plain bytes."""
    scan = PayloadScan(SECRET.encode())
    scan.message(translated.proto_pipeline)
    scan.payload(translated.json().encode(), "/dataflow-job")  # the job request (apitools, not protobuf)
    assert scan.unpickled >= 10, "the scan must actually open the pickled DoFns"
    print(f"payload scan: {scan.payloads} payloads, {scan.unpickled} unpickled, found in {len(scan.found)}")
    assert scan.found == [], f"secret found in: {scan.found[:5]}"


@pytest.mark.parametrize("step", ["ReadPartitions", "WatchPartitions", "ReadNewPartitions"])
def test_the_stream_readers_outputs_are_unbounded(translated, step):
    """``@DoFn.unbounded_per_element`` takes effect (Beam reads it from ``process``): the readers' outputs are
    unbounded although their inputs (Impulse -> Reshuffle) are bounded."""
    from apache_beam.portability.api import beam_runner_api_pb2 as pb

    comps = translated.proto_pipeline.components
    (t,) = [t for t in comps.transforms.values() if t.unique_name == f"ReadRawEntries/ReadKafkaPython/{step}"]
    assert t.outputs
    for pcoll in t.outputs.values():
        assert comps.pcollections[pcoll].is_bounded == pb.IsBounded.UNBOUNDED, (step, pcoll)


def test_sasl_with_only_a_local_environment_variable_is_refused_in_one_line(password_in_env, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*BASE, "--out", os.devnull, "--", *SASL])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sasl_password_secret" in err[0], err


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


class PayloadScan:
    """Walks protobuf messages; every bytes field is searched for ``needle`` in each of its decodings."""

    def __init__(self, needle: bytes):
        self.needle = needle
        self.found: list[str] = []
        self.unpickled = 0
        self.payloads = 0

    def message(self, msg, where: str = "") -> None:
        for fd, value in msg.ListFields():
            here = f"{where}/{fd.name}"
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                value_fd = fd.message_type.fields_by_name["value"]
                for key in value:
                    self.value(value_fd, value[key], f"{here}[{key}]", msg)
            elif fd.label == fd.LABEL_REPEATED:
                for v in value:
                    self.value(fd, v, here, msg)
            else:
                self.value(fd, value, here, msg)

    def value(self, fd, v, where: str, msg) -> None:
        if fd.type == fd.TYPE_MESSAGE:
            self.message(v, where)
        elif fd.type == fd.TYPE_BYTES:
            self.payload(v, where, urn=getattr(msg, "urn", ""))
        elif isinstance(v, str) and self.needle.decode() in v:
            self.found.append(where)

    def payload(self, data: bytes, where: str, urn: str = "") -> None:
        self.payloads += 1
        for view in self.views(data):
            if self.needle in view:
                self.found.append(where)
        parsed = self.as_proto(data, urn)
        if parsed is not None:
            self.message(parsed, where)

    def views(self, data: bytes) -> list[bytes]:
        import base64
        import bz2
        import zlib

        from apache_beam.internal import pickler
        from apache_beam.internal.cloudpickle import cloudpickle

        def attempt(decode, blob):
            try:
                return decode(blob)
            except Exception:
                return None

        views = [data]
        for decode in (zlib.decompress, bz2.decompress, base64.b64decode):
            plain = attempt(decode, data)
            if plain is not None:
                views += [
                    plain,
                    *(v for v in (attempt(f, plain) for f in (zlib.decompress, bz2.decompress)) if v),
                ]
        for use_zlib in (False, True):
            obj = attempt(lambda blob, z=use_zlib: pickler.loads(blob, use_zlib=z), data)
            if obj is not None:
                self.unpickled += 1
                views += [cloudpickle.dumps(obj), repr(obj).encode()]
        return views

    @staticmethod
    def as_proto(data: bytes, urn: str):
        from apache_beam.portability import common_urns
        from apache_beam.portability.api import beam_runner_api_pb2 as pb

        primitives, composites = common_urns.primitives, common_urns.composites
        kinds = {
            primitives.PAR_DO.urn: pb.ParDoPayload,
            composites.COMBINE_PER_KEY.urn: pb.CombinePayload,
            composites.COMBINE_GLOBALLY.urn: pb.CombinePayload,
            primitives.ASSIGN_WINDOWS.urn: pb.WindowIntoPayload,
            primitives.TEST_STREAM.urn: pb.TestStreamPayload,
            common_urns.deprecated_primitives.READ.urn: pb.ReadPayload,
            common_urns.environments.DOCKER.urn: pb.DockerPayload,
        }
        kind = kinds.get(urn)
        if kind is None:
            return None
        try:
            return kind.FromString(data)
        except Exception:
            return None
