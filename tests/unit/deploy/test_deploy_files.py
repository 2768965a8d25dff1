"""Offline checks of the deployment files (no Docker engine, hadolint or gcloud here): the compose file against the
Compose spec JSON schema plus structured assertions, Dockerfiles through Docker's own parser (``dockerfile``
package), the flex template metadata against the pipeline options, and the launch script's shell syntax."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.beam.options import NewsPipelineOptions
from pipeline.option_table import OPTIONS
from pipeline.poller.feeds import load_yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
FIXTURES = REPO / "tests" / "fixtures" / "deploy"
DOCKERFILES = [
    REPO / "Dockerfile",
    DEPLOY / "dataflow" / "Dockerfile.worker",
    DEPLOY / "dataflow" / "Dockerfile.launcher",
]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_compose_file_matches_the_compose_spec_schema(compose):
    import jsonschema

    # compose_spec.json as shipped in docker-compose 1.29.2 (Apache-2.0), the newest copy a registry package has.
    schema = json.loads((FIXTURES / "compose_spec.json").read_text())
    errors = [
        f"{list(e.path)}: {e.message}" for e in jsonschema.Draft201909Validator(schema).iter_errors(compose)
    ]
    assert errors == []


def test_compose_runs_kraft_kafka_and_the_three_app_services(compose):
    services = compose["services"]
    assert set(services) == {"kafka", "poller", "pipeline", "consumer"}
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    for name, svc in services.items():
        assert svc["restart"] == "unless-stopped", name
        assert "healthcheck" in svc and svc["healthcheck"]["test"], name
    for name in ("poller", "pipeline", "consumer"):
        svc = services[name]
        assert svc["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert "kafka:9092" in svc["command"]
    assert services["pipeline"]["command"][:3] == ["run", "--mode", "stream"]
    volumes = {v.split(":")[0]: v.split(":")[1] for v in services["poller"]["volumes"]}
    assert volumes["poller-state"] == "/var/lib/news-pipeline"
    assert "/var/lib/news-pipeline/poller.sqlite3" in services["poller"]["command"]
    assert {"kafka-data", "poller-state", "pipeline-out"} <= set(compose["volumes"])


def test_compose_commands_parse_with_the_real_cli(compose):
    from pipeline.cli import build_parser

    parser = build_parser()
    for name in ("poller", "pipeline", "consumer"):
        parser.parse_args(compose["services"][name]["command"])  # SystemExit on an unknown flag


def test_compose_feed_list_loads():
    assert load_yaml((DEPLOY / "config" / "feeds.yaml").read_text())


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_parse_with_dockers_parser(path):
    import dockerfile

    commands = dockerfile.parse_file(str(path))
    names = [c.cmd.upper() for c in commands]
    assert names.count("FROM") >= 1 and "ENTRYPOINT" in names
    for c in commands:
        if c.cmd.upper() == "COPY" and "--from" not in " ".join(c.flags):
            for src in c.value[:-1]:
                assert (REPO / src).exists(), f"{path.name}: COPY source {src} missing"


def test_worker_image_is_beams_sdk_image_of_the_installed_version():
    import apache_beam

    text = (DEPLOY / "dataflow" / "Dockerfile.worker").read_text()
    assert f"ARG BEAM_VERSION={apache_beam.__version__}" in text
    assert "apache/beam_python3.11_sdk:${BEAM_VERSION}" in text
    assert "/opt/apache/beam/boot" in text and "spacy.load" in text and "crc32c" in text


def test_launcher_points_at_the_launch_module():
    text = (DEPLOY / "dataflow" / "Dockerfile.launcher").read_text()
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE=/opt/news-pipeline/pipeline/deploy/launch.py" in text
    assert (REPO / "pipeline" / "deploy" / "launch.py").exists()


def test_flex_template_metadata_types_and_describes_every_pipeline_option():
    meta = json.loads((DEPLOY / "dataflow" / "metadata.json").read_text())
    parser = argparse.ArgumentParser()
    NewsPipelineOptions._add_argparse_args(parser)
    actions = {a.dest: a for a in parser._actions if a.dest != "help"}
    params = {p["name"]: p for p in meta["parameters"]}
    on_dataflow = {o.name for o in OPTIONS if o.template}
    assert set(params) == on_dataflow and on_dataflow < set(actions)
    assert meta["streaming"] is True
    for name, p in params.items():
        assert p["helpText"] and p["label"] and p["paramType"], name
        assert p["isOptional"] == (name != "kafka_bootstrap_servers"), name
        if actions[name].choices:
            assert p["regexes"] == ["^(" + "|".join(actions[name].choices) + ")$"], name


def test_build_script_is_valid_bash_and_uses_flex_templates():
    script = DEPLOY / "dataflow" / "build.sh"
    subprocess.run([shutil.which("bash") or "bash", "-n", str(script)], check=True)
    text = script.read_text()
    for needle in ("gcloud dataflow flex-template build", "gcloud dataflow flex-template run", "--update",
                   "--transform-name-mappings", "gcloud dataflow jobs drain"):  # fmt: skip
        assert needle in text
