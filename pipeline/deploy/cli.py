"""``news-pipeline deploy ...``: Dataflow dry run (translated job as JSON) and launch.  Arguments in, a job out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.bus.cli_kafka import CliError
from pipeline.deploy.checks import DeployError
from pipeline.deploy.dataflow import DataflowJob


def cmd_dataflow(args: argparse.Namespace) -> int:
    from pipeline.deploy import dataflow

    job = DataflowJob(
        project=args.project,
        region=args.region,
        temp_location=args.temp_location,
        sdk_container_image=args.image,
        job_name=args.job_name,
        service_account_email=args.service_account,
        subnetwork=args.subnetwork,
        max_num_workers=args.max_workers,
    )
    pipeline_args = list(args.pipeline_args)
    if args.bootstrap_servers:
        pipeline_args.append(f"--kafka_bootstrap_servers={args.bootstrap_servers}")
    argv = job.argv(pipeline_args)
    try:
        if not args.dry_run:
            from pipeline.deploy.launch import launch

            print(f"submitted Dataflow job {launch(argv)}", file=sys.stderr)
            return 0
        translated = dataflow.dry_run(argv)
    except DeployError as exc:
        raise CliError(str(exc)) from None
    text = json.dumps(translated, indent=2, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n")
        print(f"wrote {args.out}: {len(dataflow.step_labels(translated))} steps", file=sys.stderr)
    else:
        print(text)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    deploy = sub.add_parser("deploy", help="deployment: Dataflow job dry run and launch")
    dsub = deploy.add_subparsers(dest="deploy_command", required=True)
    d = DataflowJob()
    p = dsub.add_parser(
        "dataflow", parents=[common], help="translate (--dry-run) or launch the streaming job on Dataflow"
    )
    p.add_argument("--dry-run", action="store_true", help="build the job offline and write it as JSON")
    p.add_argument("--out", default=None, help="file for the dry-run job JSON (default: stdout)")
    p.add_argument("--project", default=d.project, help="Google Cloud project id (default: %(default)s)")
    p.add_argument("--region", default=d.region, help="Dataflow region (default: %(default)s)")
    p.add_argument(
        "--temp-location",
        default=d.temp_location,
        help="gs:// path for staging and temp files (default: %(default)s)",
    )
    p.add_argument("--image", default=d.sdk_container_image, help="custom SDK worker image")
    p.add_argument("--job-name", default=d.job_name, help="Dataflow job name (default: %(default)s)")
    p.add_argument("--service-account", default=None, help="worker service account e-mail")
    p.add_argument("--subnetwork", default=None, help="regions/R/subnetworks/S (workers get no public IPs)")
    p.add_argument(
        "--max-workers",
        type=int,
        default=d.max_num_workers,
        help="autoscaling ceiling (default: %(default)s)",
    )
    p.add_argument(
        "pipeline_args", nargs="*", help="pipeline options after --, e.g. -- --security_protocol=SASL_SSL"
    )
    p.set_defaults(func=cmd_dataflow)
