"""Build the Dataflow streaming job offline: pipeline options in, the translated job (JSON-ready dict) out.

``DataflowRunner`` with ``--dry_run=True`` builds the job and returns before staging or submitting anything, so this
runs without Google Cloud.  The job's environment is filled the way the runner would fill it at submission (minus
staged packages), which makes worker image, experiments and options checkable; step labels come from the portable
pipeline, which is what Dataflow's ``--update`` matches against.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.deploy.checks import check_kafka_secret, check_names

REPO_SETUP = Path(__file__).resolve().parents[2] / "setup.py"
DOCKER_URN = "beam:env:docker:v1"
# URNs of Beam's Java Kafka transforms: their presence means the job needs Java and the expansion service.
JAVA_KAFKA_URNS = (
    "beam:transform:org.apache.beam:kafka_read_with_metadata:v1",
    "beam:transform:org.apache.beam:kafka_read_without_metadata:v1",
    "beam:transform:org.apache.beam:kafka_write:v1",
)


@dataclass(frozen=True)
class DataflowJob:
    """What a Dataflow launch needs besides the pipeline's own options."""

    project: str = "dry-run-project"
    region: str = "europe-west1"
    temp_location: str = "gs://dry-run-bucket/tmp"
    sdk_container_image: str = "europe-west1-docker.pkg.dev/dry-run-project/news/news-pipeline-worker:dry-run"
    job_name: str = "news-pipeline"
    service_account_email: str | None = None
    subnetwork: str | None = None
    max_num_workers: int = 4
    setup_file: str = str(REPO_SETUP)
    extra: tuple[str, ...] = field(default_factory=tuple)

    def argv(self, pipeline_args: Sequence[str] = ()) -> list[str]:
        args = [
            "--runner=DataflowRunner",
            f"--project={self.project}",
            f"--region={self.region}",
            f"--temp_location={self.temp_location}",
            f"--job_name={self.job_name}",
            f"--sdk_container_image={self.sdk_container_image}",
            "--experiments=use_runner_v2",
            # The image already has the package and its dependencies: workers must not pip install at start.
            "--sdk_location=container",
            "--streaming",
            "--enable_streaming_engine",
            f"--max_num_workers={self.max_num_workers}",
            "--autoscaling_algorithm=THROUGHPUT_BASED",
            f"--setup_file={self.setup_file}",
            "--read_mode=stream",
        ]
        if self.service_account_email:
            args.append(f"--service_account_email={self.service_account_email}")
        if self.subnetwork:
            args += [f"--subnetwork={self.subnetwork}", "--no_use_public_ips"]
        return [*args, *self.extra, *pipeline_args]


def preflight(argv: Sequence[str]) -> tuple[Any, Any]:
    """Parse and check launch arguments offline: (options, settings), or ``DeployError`` with one line."""
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    from pipeline.beam.options import CachedViewOptions, NewsPipelineOptions

    options = CachedViewOptions(list(argv))
    gc = options.view_as(GoogleCloudOptions)
    check_names(
        gc.project,
        gc.region,
        gc.job_name,
        temp_location=gc.temp_location,
        staging_location=gc.staging_location,
    )
    settings = options.view_as(NewsPipelineOptions).settings()
    check_kafka_secret(settings.kafka)
    return options, settings


def translate(argv: Sequence[str]) -> tuple[Any, Any]:
    """The Dataflow job (``job.proto``, ``job.proto_pipeline``) built offline by a dry-run DataflowRunner, and the
    options it was built with."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import TestOptions
    from apache_beam.runners.dataflow.dataflow_runner import DataflowRunner

    from pipeline.beam import graph

    options, settings = preflight(argv)
    options.view_as(TestOptions).dry_run = True
    runner = DataflowRunner()
    p = beam.Pipeline(runner=runner, options=options)
    graph.build(p, settings)
    with package_build_lock(options):
        result = p.run()
    return result.job, options


@contextmanager
def package_build_lock(options: Any) -> Iterator[None]:
    """While Beam builds the job's package from ``--setup_file``: no other build from the same checkout.

    Beam runs ``setup.py sdist`` in the setup file's directory, whose scratch directory (``news-pipeline-<version>/``)
    and egg-info every build from that checkout shares, so two builds at once delete files under each other (three
    dry runs started together: two failed, in each of three tries).  An exclusive ``flock`` on a lock file named
    after the checkout's path serializes them; it is released when the process ends, whatever kills it."""
    import fcntl
    import tempfile
    import zlib

    from apache_beam.options.pipeline_options import SetupOptions

    setup_file = options.view_as(SetupOptions).setup_file
    if not setup_file:
        yield
        return
    checkout = str(Path(setup_file).resolve().parent)
    lock = Path(tempfile.gettempdir()) / f"news-pipeline-build-{zlib.crc32(checkout.encode()):08x}.lock"
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def dry_run(argv: Sequence[str]) -> dict[str, Any]:
    """Translate the pipeline for Dataflow without submitting; returns the job, pipeline summary and options."""
    from apache_beam.runners.dataflow.internal import apiclient

    job, options = translate(argv)
    job.proto.environment = apiclient.Environment(
        packages=[],
        options=job.options,
        environment_version=apiclient._FNAPI_ENVIRONMENT_MAJOR_VERSION,
        proto_pipeline_staged_url="dry-run://pipeline.pb",
        proto_pipeline=job.proto_pipeline,
    ).proto
    return {
        "job": json.loads(job.json()),
        "pipeline": summarize(job.proto_pipeline),
        "options": {k: v for k, v in options.get_all_options(drop_default=True).items()},
    }


def summarize(proto_pipeline: Any) -> dict[str, Any]:
    """Transforms (label, URN, environment) and environments (URN, container image) of a portable pipeline."""
    from apache_beam.portability.api import beam_runner_api_pb2

    comps = proto_pipeline.components
    environments = {}
    for env_id, env in comps.environments.items():
        image = None
        if env.urn == DOCKER_URN:
            image = beam_runner_api_pb2.DockerPayload.FromString(env.payload).container_image
        environments[env_id] = {"urn": env.urn, "container_image": image}
    transforms = sorted(
        (
            {"label": t.unique_name, "urn": t.spec.urn, "environment": t.environment_id}
            for t in comps.transforms.values()
            if t.unique_name
        ),
        key=lambda t: t["label"],
    )
    return {"transforms": transforms, "environments": environments}


def step_labels(job: dict[str, Any]) -> list[str]:
    """The sorted step labels of a dry-run job (what ``--update`` matches, and what the snapshot pins)."""
    return sorted(t["label"] for t in job["pipeline"]["transforms"])


def java_steps(job: dict[str, Any]) -> list[str]:
    """Steps that need a Java expansion service or a non-Python environment (none in the default mode)."""
    python_envs = {
        env_id
        for env_id, env in job["pipeline"]["environments"].items()
        if env["urn"] == DOCKER_URN and "java" not in (env["container_image"] or "")
    }
    return [
        t["label"]
        for t in job["pipeline"]["transforms"]
        if t["urn"] in JAVA_KAFKA_URNS or (t["environment"] and t["environment"] not in python_envs)
    ]
