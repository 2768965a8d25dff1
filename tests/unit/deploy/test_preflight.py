"""A Dataflow launch that cannot work fails fast, offline, in one line: project, region, job name and bucket names
are checked before Beam sees them (Beam falls back to creating a default bucket over the network), and a real
launch looks for Google Cloud credentials with a deadline (google-auth otherwise probes the metadata server).

Network use is observed, not mocked: a Python audit hook records every ``socket.connect`` / ``getaddrinfo`` the
process makes while the command runs."""

from __future__ import annotations

import json
import socket
import sys
import time

import pytest

from pipeline.cli import main
from pipeline.deploy.checks import DeployError, bucket_error, check_credentials, check_names

_RECORD: list[list[tuple[str, object]]] = []


def _hook(event: str, args: tuple) -> None:
    if _RECORD and event in ("socket.connect", "socket.getaddrinfo"):
        _RECORD[-1].append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_hook)


def _off_machine(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    def local(target: object) -> bool:
        host = target[0] if isinstance(target, tuple) else target
        return (
            host in ("127.0.0.1", "::1", "localhost", None)
            or isinstance(host, bytes)
            and host == b"localhost"
        )

    return [e for e in events if not local(e[1])]


def run_cli(argv: list[str], capsys) -> tuple[int, list[str], float, list[tuple[str, object]]]:
    _RECORD.append([])
    start = time.monotonic()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    finally:
        events = _RECORD.pop()
    return code, capsys.readouterr().err.strip().splitlines(), time.monotonic() - start, events


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (
            ["--temp-location", "gs://b/tmp"],
            "invalid --temp-location",
        ),  # Beam: default bucket over the network
        (["--temp-location", "gs://Bad_Bucket/tmp"], "invalid --temp-location"),
        (["--temp-location", "/local/tmp"], "invalid --temp-location"),
        (["--project", "X_bad"], "invalid --project"),
        (["--project", "12345"], "invalid --project"),
        (["--region", "nowhere"], "invalid --region"),
        (["--job-name", "News_Job"], "invalid --job-name"),
        (["--", "--staging_location=gs://b/x"], "invalid --staging-location"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_invalid_names_are_refused_up_front_offline_in_one_line(flags, needle, tmp_path, capsys):
    code, err, elapsed, events = run_cli(
        ["deploy", "dataflow", "--dry-run", "--out", str(tmp_path / "job.json"), *flags], capsys
    )
    assert code == 2 and len(err) == 1 and needle in err[0], err
    assert _off_machine(events) == [] and elapsed < 10, (elapsed, events)
    assert not (tmp_path / "job.json").exists()


def test_a_valid_dry_run_makes_no_network_connection(tmp_path, capsys):
    out = tmp_path / "job.json"
    code, err, elapsed, events = run_cli(["deploy", "dataflow", "--dry-run", "--out", str(out)], capsys)
    assert code == 0, err
    assert json.loads(out.read_text())["job"]["type"] == "JOB_TYPE_STREAMING"
    assert _off_machine(events) == [], events


@pytest.mark.parametrize(
    "name", ["news-proj", "my-project-123456", "example.com:news-proj"], ids=lambda n: f"project {n}"
)
def test_valid_project_ids_pass(name):
    check_names(name, "europe-west1", "news-pipeline", temp_location="gs://news-bucket/tmp")


@pytest.mark.parametrize(
    ("path", "ok"),
    [("gs://news-bucket/tmp", True), ("gs://a.b.example.com/x/", True), ("gs://ab/tmp", False),
     ("gs://goog-news/tmp", False), ("gs://news..bucket/tmp", False), ("gs://" + "a" * 64 + "/t", False),
     ("gs://news-bucket", False), ("s3://news-bucket/tmp", False)],
)  # fmt: skip
def test_bucket_names(path, ok):
    assert (bucket_error(path) is None) == ok, bucket_error(path)


@pytest.fixture
def no_credentials(tmp_path, monkeypatch):
    """No key file, no gcloud config, and a metadata server address on loopback where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GCE_METADATA_IP", closed)
    monkeypatch.setenv("GCE_METADATA_HOST", closed)
    return tmp_path


def test_a_real_launch_without_credentials_fails_within_seconds_in_one_line(no_credentials, capsys):
    code, err, elapsed, events = run_cli(["deploy", "dataflow"], capsys)
    assert code == 2 and len(err) == 1 and "no Google Cloud credentials" in err[0], err
    assert elapsed < 15, elapsed
    assert _off_machine(events) == [], events


def test_a_metadata_server_that_never_answers_is_given_a_deadline(no_credentials, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    monkeypatch.setenv("GCE_METADATA_IP", f"127.0.0.1:{silent.getsockname()[1]}")
    start = time.monotonic()
    try:
        with pytest.raises(DeployError, match="within 2 s"):
            check_credentials(timeout_s=2.0)
    finally:
        silent.close()
    assert time.monotonic() - start < 3.0


def test_credentials_that_exist_pass_the_check(no_credentials, monkeypatch):
    key = no_credentials / "adc.json"
    key.write_text(
        json.dumps({"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"})
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    check_credentials(timeout_s=5.0)  # raises DeployError if not found
