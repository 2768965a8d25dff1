"""``news-pipeline topics`` and ``news-pipeline status``: arguments -> calls into ``pipeline.ops``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.settings import PipelineSettings, TopicSettings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``topics`` and ``status`` to the top-level parser (called by ``pipeline/cli.py``)."""
    from pipeline.ops.status import cmd_status
    from pipeline.ops.topics import cmd_topics

    p = sub.add_parser(
        "topics",
        parents=[common],
        help="list topics: partitions, earliest/end offsets, consumer groups' committed offsets and lag",
    )
    p.add_argument("--topic", action="append", help="only this topic (repeatable; default: all)")
    p.add_argument("--group", action="append", help="only this consumer group (repeatable; default: all)")
    p.add_argument(
        "--internal", action="store_true", help="also list internal topics (__consumer_offsets, ...)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per partition and per group row")
    p.set_defaults(func=cmd_topics, needs_kafka=True)

    t = TopicSettings()
    p = sub.add_parser(
        "status",
        parents=[common],
        help="live view of a running poller and pipeline: rates, lag, dead letters, last error",
    )
    p.add_argument("--raw-topic", default=t.raw, help="the pipeline's input topic")
    p.add_argument("--output-topic", default=t.output, help="the pipeline's output topic")
    p.add_argument("--dead-letter-topic", default=t.dead_letter, help="dead letters of every stage")
    p.add_argument("--audit-topic", default=t.audit, help="duplicate notices")
    p.add_argument("--group", default=PipelineSettings().consumer_group, help="the pipeline's consumer group")
    p.add_argument(
        "--state",
        type=Path,
        default=None,
        help="poller state file, for feed health and the last poll error (default: the poller's default, if present)",
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between refreshes")
    p.add_argument(
        "--once", action="store_true", help="print one view and exit (also when stdout is not a terminal)"
    )
    p.set_defaults(func=cmd_status, needs_kafka=True)
