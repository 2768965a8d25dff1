"""``news-pipeline``: parse arguments and call into the modules; nothing else lives here.

Subcommands: broker, poll, feeds (from the poller), websub, run, consume, inspect, demo, dlq.  Without ``--bootstrap-servers``,
Kafka commands use the embedded broker recorded by ``broker``/``demo``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.bus.cli_kafka import CliError, resolve_kafka
from pipeline.settings import TopicSettings


def _common() -> argparse.ArgumentParser:
    """Flags every Kafka command shares: where Kafka is and how to authenticate (the same for every client)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (default: the embedded broker)")
    sec = common.add_argument_group("Kafka security")
    sec.add_argument(
        "--security-protocol", default="PLAINTEXT", choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
    )
    sec.add_argument("--sasl-mechanism", default=None, choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    sec.add_argument("--sasl-username", default=None)
    sec.add_argument(
        "--sasl-password-env",
        default="KAFKA_SASL_PASSWORD",
        help="environment variable holding the SASL password (never passed on the command line)",
    )
    sec.add_argument(
        "--sasl-password-secret",
        default=None,
        help="Secret Manager version name holding the SASL password (read where the client is built)",
    )
    sec.add_argument("--ssl-cafile", default=None, help="CA bundle for the brokers' certificates")
    sec.add_argument("--ssl-certfile", default=None, help="client certificate (mutual TLS)")
    sec.add_argument("--ssl-keyfile", default=None, help="client private key (mutual TLS)")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return common


def _topics(p: argparse.ArgumentParser) -> None:
    t = TopicSettings()
    p.add_argument("--raw-topic", default=t.raw)
    p.add_argument("--output-topic", default=t.output)
    p.add_argument("--dead-letter-topic", default=t.dead_letter)
    p.add_argument("--audit-topic", default=t.audit)


def _topic_settings(args: argparse.Namespace) -> TopicSettings:
    return TopicSettings(
        raw=args.raw_topic,
        output=args.output_topic,
        dead_letter=args.dead_letter_topic,
        audit=args.audit_topic,
    )


def cmd_broker(args: argparse.Namespace) -> int:
    from pipeline.bus.broker import BrokerAlreadyRunning, EmbeddedBroker, serve_foreground

    broker = EmbeddedBroker(port=args.port, storage=args.storage)
    try:
        broker.start()
    except (BrokerAlreadyRunning, RuntimeError, TimeoutError) as exc:
        raise CliError(str(exc)) from None
    where = f" (data in {broker.data_dir})" if args.storage == "s3" else " (in memory: lost when it stops)"
    print(f"embedded broker listening on {broker.bootstrap_servers}{where}; Ctrl-C to stop", flush=True)
    return serve_foreground(broker)


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.beam.run import run
    from pipeline.flags import settings_from_run_args

    settings = settings_from_run_args(args, resolve_kafka(args).bootstrap_servers)
    state = run(settings, extra_args=args.beam_args)
    print(f"pipeline finished: {state}", file=sys.stderr)
    return 0 if state in ("DONE", "PipelineState.DONE") else 1


def cmd_files(args: argparse.Namespace) -> int:
    import signal
    import threading

    from pipeline.files.sink import FileSink
    from pipeline.settings import FileSinkSettings

    roll = FileSinkSettings(roll_s=args.roll_seconds, roll_records=args.roll_records)
    sink = FileSink(
        resolve_kafka(args),
        args.topic,
        args.out_dir,
        group=args.group,
        roll=roll,
        registry_url=args.schema_registry_url,
        dead_letter_topic=args.dead_letter_topic,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stats = sink.run(stop=stop, until_end=not args.follow)
    print(
        f"files: {stats.records} records in {len(stats.files)} new files under {args.out_dir}",
        file=sys.stderr,
    )
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from pipeline.inspect import inspect_sources, to_json_line
    from pipeline.transforms.enrich import Enricher

    enricher = Enricher.load(ner=not args.no_ner)
    for record in inspect_sources(args.sources, enricher=enricher, show_duplicates=args.show_duplicates):
        print(to_json_line(record), flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(out_dir=args.out_dir, ner=not args.no_ner)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="news-pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"news-pipeline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    common = _common()

    p = sub.add_parser(
        "broker", parents=[common], help="run the embedded Kafka-protocol broker in the foreground"
    )
    p.add_argument("--port", type=int, default=None, help="loopback port (default: a free one)")
    p.add_argument(
        "--storage",
        choices=["s3", "memory"],
        default="s3",
        help="s3: durable, in <state dir>/broker-data via a local SeaweedFS (default); memory: lost on stop",
    )
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("run", parents=[common], help="run the Beam pipeline (local runner)")
    from pipeline.flags import add_run_args

    add_run_args(p)  # every pipeline option, declared once in pipeline/flags.py
    p.add_argument("beam_args", nargs="*", help="extra Beam pipeline options after --")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "files",
        parents=[common],
        help="write the output topic to Avro files named by partition and offset range (exactly once)",
        description="Catch up (or, with --follow, keep up) with the output topic in Avro container files "
        "<topic>+<partition>+<first>+<last>.avro; a restart resumes after the last finished file.",
    )
    p.add_argument("--topic", default=TopicSettings().output, help="topic to write (default: %(default)s)")
    p.add_argument("--out-dir", default="out", help="directory or gs:// path (default: %(default)s)")
    p.add_argument(
        "--group", default="news-pipeline-files", help="consumer group for lag (default: %(default)s)"
    )
    p.add_argument("--dead-letter-topic", default=TopicSettings().dead_letter, help="for undecodable records")
    p.add_argument("--follow", action="store_true", help="keep following the topic until SIGINT/SIGTERM")
    p.add_argument(
        "--roll-seconds", type=float, default=10.0, help="finish a file this long after its first record"
    )
    p.add_argument("--roll-records", type=int, default=50_000, help="finish a file at this many records")
    p.add_argument(
        "--schema-registry-url", default=None, help="needed when the topic uses the Confluent format"
    )
    p.set_defaults(func=cmd_files)

    from pipeline.consume import register as register_consume

    register_consume(sub, common)

    p = sub.add_parser("inspect", parents=[common], help="normalize, dedup and enrich local files or URLs")
    p.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    p.add_argument(
        "--show-duplicates", action="store_true", help="also print suppressed items with duplicate_of"
    )
    p.add_argument("--no-ner", action="store_true", help="skip named-entity recognition")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "demo", parents=[common], help="the whole chain on the embedded broker and bundled feeds"
    )
    p.add_argument("--out-dir", default="out")
    p.add_argument("--no-ner", action="store_true")
    p.set_defaults(func=cmd_demo)

    from pipeline.poller.cli import register as register_poller

    register_poller(sub, common)
    from pipeline.dlq.cli import register as register_dlq

    register_dlq(sub, common)
    from pipeline.websub.cli import register as register_websub

    register_websub(sub, common)
    from pipeline.deploy.cli import register as register_deploy

    register_deploy(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # kafka-python logs every closed connection at ERROR; our own errors are reported
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    if getattr(args, "idle_timeout", None) == 0:
        args.idle_timeout = None
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
