"""``news-pipeline``: parse arguments and call into the modules; nothing else lives here.

Errors a person can cause or meet end in one line on stderr and a non-zero exit (``pipeline.ops.errors``);
``-v`` shows the traceback.  Without ``--bootstrap-servers``, Kafka commands use the embedded broker recorded by
``broker``, and check that it answers before building any client.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.ops import cpu  # noqa: F401  (importing it reads the CPU counters: ops/cpu.py)
from pipeline.ops.exit import skip_final_gc

if TYPE_CHECKING:
    from pipeline.settings import PipelineSettings

# Everything else is imported where it is used: a stage worker, cluster restore helper or file sink process that a
# run spawns imports this module again as its ``__mp_main__`` (multiprocessing's spawn re-imports the main module),
# and with the settings' pydantic models at module level that cost each of them ~0.13 s of CPU at start-up.

DESCRIPTION = (
    "Streaming news ingestion: polls RSS/Atom/JSON feeds into Kafka, normalizes, deduplicates and enriches the "
    "dispatches in an Apache Beam pipeline, and writes Avro records to a topic and to files."
)
EPILOG = """first steps:
  news-pipeline demo                     the whole chain on a throwaway embedded broker
  news-pipeline inspect FILE_OR_URL      one dispatch or feed through normalize/dedup/enrich, no Kafka
  news-pipeline broker                   a local broker for the other commands (in another terminal)
  news-pipeline topics | status          where the topics and the pipeline's consumer group stand

Run `news-pipeline COMMAND --help` for a command's options; -v shows debug logs and tracebacks."""
BOOTSTRAP_CHECK_S = 3.0  # a closed port answers at once; a silent host gets this long


def cmd_broker(args: argparse.Namespace) -> int:
    from pipeline.bus.broker import BrokerAlreadyRunning, EmbeddedBroker, serve_foreground
    from pipeline.bus.cli_kafka import CliError

    broker = EmbeddedBroker(port=args.port, storage=args.storage)
    try:
        broker.start()
    except (BrokerAlreadyRunning, RuntimeError, TimeoutError) as exc:
        raise CliError(str(exc)) from None
    where = f" (data in {broker.data_dir})" if args.storage == "s3" else " (in memory: lost when it stops)"
    print(f"embedded broker listening on {broker.bootstrap_servers}{where}; Ctrl-C to stop", flush=True)
    return serve_foreground(broker)


def cmd_run(args: argparse.Namespace) -> int:
    import signal

    # Until the run installs its own handlers (stop after the current bundle), SIGTERM ends the start-up as Ctrl-C
    # does: one line, exit 130, the stage pool's workers shut down (the default death left leaked-semaphore warnings)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.ops.offsets import require_topics
    from pipeline.ops.progress import GroupProgress

    kafka = resolve_kafka(args)
    if not args.create_topics:  # a typo must not create (and silently "drain") an empty topic
        require_topics(kafka, [args.raw_topic], "raw topic (pass --create-topics to create it)")
    from pipeline.beam.cloud_clients import skip_for_local_run
    from pipeline.option_table import settings_from_run_args

    settings = settings_from_run_args(args, kafka.bootstrap_servers)
    skip_for_local_run(args.beam_args, [settings.out_dir])  # before Beam's import: beam/cloud_clients.py
    if not args.beam_args:  # the single-process local runner: its stage pool starts beside Beam's import
        settings = _pool_started_early(settings)
    from pipeline.beam.run import run  # Beam takes a second to import: only once the input is known to exist

    progress = None
    if args.mode == "drain":
        progress = GroupProgress(kafka, args.raw_topic, args.group).start(f"drain {args.raw_topic}")
    try:
        state = run(settings, extra_args=args.beam_args, own_process=True)
    finally:
        if progress is not None:
            progress.stop()
    print(f"pipeline finished: {state}", file=sys.stderr)
    return 0 if state in ("DONE", "PipelineState.DONE") else 1


def _pool_started_early(settings: PipelineSettings) -> PipelineSettings:
    """The settings with the run's stage pool size fixed, its workers already starting (enrich/pool.py
    ``start_early``): the same choice the graph would make (a drain asks its backlog), made before Beam's import."""
    from pipeline.bus.read import drain_backlog
    from pipeline.transforms.enrich.pool import describe, start_early

    chosen, why = start_early(settings.enrich_processes, settings.ner, drain_backlog(settings))
    print(f"news-pipeline run: {describe(chosen, why)}", file=sys.stderr, flush=True)
    return settings.model_copy(update={"enrich_processes": chosen})


def cmd_files(args: argparse.Namespace) -> int:
    import signal
    import threading

    from pipeline.bus.cli_kafka import resolve_kafka
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

    records = inspect_sources(
        args.sources, show_duplicates=args.show_duplicates, max_bytes=args.max_bytes, ner=not args.no_ner
    )
    for record in records:
        print(to_json_line(record), flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.beam.cloud_clients import skip_for_local_run

    skip_for_local_run((), [args.out_dir or ""])  # the demo's run is local (beam/cloud_clients.py)
    from pipeline.demo import run_demo

    return run_demo(out_dir=args.out_dir, ner=not args.no_ner)


def build_parser() -> argparse.ArgumentParser:
    from pipeline.ops.flags import Parser, kafka_flags, verbose_flag
    from pipeline.settings import TopicSettings

    parser = Parser(prog="news-pipeline", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"news-pipeline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = kafka_flags()
    plain = verbose_flag()

    p = sub.add_parser(
        "broker", parents=[plain], help="run the embedded Kafka-protocol broker in the foreground"
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
    p.set_defaults(needs_kafka=True)
    from pipeline.option_table import add_run_args

    add_run_args(p)  # every pipeline option, declared once in pipeline/option_table.py
    p.add_argument(
        "--create-topics",
        action="store_true",
        help="create the raw topic if it does not exist (default: refuse; output topics are always created)",
    )
    p.add_argument("--schema-registry", dest="schema_registry_url", help=argparse.SUPPRESS)  # old spelling
    p.add_argument("beam_args", nargs="*", help="extra Beam pipeline options after --")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "files",
        parents=[common],
        help="write the output topic to Avro files named by partition and offset range (exactly once)",
        description="Catch up (or, with --follow, keep up) with the output topic in Avro container files "
        "<topic>+<partition>+<first>+<last>.avro; a restart resumes after the last finished file.",
    )
    p.set_defaults(needs_kafka=True)
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
    p.add_argument("--schema-registry", dest="schema_registry_url", help=argparse.SUPPRESS)  # old spelling
    p.set_defaults(func=cmd_files)

    from pipeline.consume import register as register_consume

    register_consume(sub, common)

    from pipeline.ops.readers import MAX_SOURCE_BYTES

    p = sub.add_parser("inspect", parents=[plain], help="normalize, dedup and enrich local files or URLs")
    p.add_argument(
        "sources",
        nargs="+",
        metavar="PATH_OR_URL",
        help="a plain-text dispatch, an HTML page, or an RSS/Atom/JSON feed (file or http(s) URL)",
    )
    p.add_argument(
        "--show-duplicates", action="store_true", help="also print suppressed items with duplicate_of"
    )
    p.add_argument("--no-ner", action="store_true", help="skip named-entity recognition (faster)")
    p.add_argument(
        "--max-bytes", type=int, default=MAX_SOURCE_BYTES, help="refuse a file or response larger than this"
    )
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "demo",
        parents=[plain],
        help="the whole chain on a throwaway embedded broker and the bundled feeds",
        description="Start a private embedded broker and feed server, poll the bundled feeds, run the pipeline in "
        "drain mode, print the output records. Leaves any broker started by `news-pipeline broker` alone.",
    )
    p.add_argument("--out-dir", default="out", help="where the Avro files go")
    p.add_argument("--no-ner", action="store_true", help="skip named-entity recognition (faster)")
    p.set_defaults(func=cmd_demo)

    from pipeline.ops.cli import register as register_ops

    register_ops(sub, common)

    from pipeline.poller.cli import register as register_poller

    register_poller(sub, common, plain)
    sub.choices["poll"].set_defaults(needs_kafka=True)
    from pipeline.dlq.cli import register as register_dlq

    register_dlq(sub, common)
    from pipeline.websub.cli import register as register_websub

    register_websub(sub, common)
    from pipeline.deploy.cli import register as register_deploy

    register_deploy(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; known failures end in one line on stderr and a non-zero exit (tracebacks with -v)."""
    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.ops.errors import UserError, check_reachable, explain

    skip_final_gc()  # ~1 s less on the way out of a run (pipeline/ops/exit.py)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:  # kafka-python logs every closed connection at ERROR; our own errors are reported
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    if getattr(args, "idle_timeout", None) == 0:
        args.idle_timeout = None
    try:
        if getattr(args, "needs_kafka", False):  # fail in seconds, not after the clients' 30 s of retries
            check_reachable(resolve_kafka(args).bootstrap_servers, BOOTSTRAP_CHECK_S)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("news-pipeline: interrupted", file=sys.stderr)
        _forget_interrupt()
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"news-pipeline: error: {explain(exc)}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, UserError) else 1


def _forget_interrupt() -> None:
    """After a KeyboardInterrupt this process has handled: make CPython forget it.  CPython records whether the last
    string it evaluated with ``exec`` ended in KeyboardInterrupt (to exit by SIGINT after an uncaught ^C,
    bpo-1054041) and does not clear that record when the exception is caught later; under ``python -m`` (not the
    ``news-pipeline`` script) it then exits by SIGINT (-2) instead of with 130.  A SIGTERM or ^C during start-up can
    land inside such an ``exec``, e.g. while a dataclass is being defined (its methods are made that way): ~1 in 20
    interrupted starts here.  Evaluating a string that ends normally resets the record."""
    exec("pass")


if __name__ == "__main__":
    sys.exit(main())
