"""``news-pipeline dlq list`` and ``dlq replay``: arguments -> calls into ``pipeline.dlq``; a table or a report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from pipeline.dlq.read import DeadLetter, Selector, group_by_reason, read_dead_letters
from pipeline.dlq.replay import replay, replayed_keys
from pipeline.settings import TopicSettings


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if ms else ""


def _selector(args: argparse.Namespace) -> Selector:
    return Selector(args.stage, args.reason, args.error_type, args.source_topic)


def cmd_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.ops.offsets import require_topics

    out = out or sys.stdout
    kafka = resolve_kafka(args)
    require_topics(kafka, [args.dead_letter_topic], "dead-letter topic")
    selector = _selector(args)
    letters = [x for x in read_dead_letters(kafka, args.dead_letter_topic) if isinstance(x, DeadLetter)]
    groups = group_by_reason(
        (x for x in letters if selector.match(x.failure)), replayed_keys(kafka, args.dead_letter_topic)
    )
    if args.json:
        for g in groups:
            out.write(json.dumps(asdict(g), ensure_ascii=False) + "\n")
        return 0
    out.write(
        f"{'count':>6} {'replayable':>10} {'replayed':>8}  {'stage':<10} {'error type':<22} last seen (UTC)      reason\n"
    )
    for g in groups:
        out.write(
            f"{g.count:>6} {g.replayable:>10} {g.replayed:>8}  {g.stage:<10} {g.error_type[:22]:<22} "
            f"{_when(g.last_ms):<20} {g.reason[:100]}\n"
        )
    out.write(
        f"{sum(g.count for g in groups)} dead letter(s) in {len(groups)} group(s) on {args.dead_letter_topic}\n"
    )
    return 0


def cmd_replay(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.ops.offsets import require_topics
    from pipeline.ops.progress import bar

    kafka = resolve_kafka(args)
    require_topics(kafka, [args.dead_letter_topic], "dead-letter topic")
    with bar("replay", None) as b:
        report = replay(
            kafka,
            args.dead_letter_topic,
            _selector(args),
            args.to_topic,
            dry_run=args.dry_run,
            progress=lambda done, total: b.update(done, total),
        )
    (out or sys.stdout).write(f"{report}\n")
    return 0


def _select_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dead-letter-topic", default=TopicSettings().dead_letter, help="topic to read dead letters from"
    )
    p.add_argument("--stage", help="only this stage (poll, decode, normalize, dedup, enrich, encode, files)")
    p.add_argument("--reason", help="only reasons containing this text (any case)")
    p.add_argument("--error-type", help="only this error type, e.g. AvroDecodeError")
    p.add_argument("--source-topic", help="only failures of inputs read from this topic")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``dlq list`` and ``dlq replay`` to the top-level parser (called by ``pipeline/cli.py``)."""
    dlq = sub.add_parser("dlq", help="dead letters: list them grouped by reason, replay them after a fix")
    dsub = dlq.add_subparsers(dest="dlq_command", required=True)
    p = dsub.add_parser("list", parents=[common], help="dead letters grouped by stage, error type and reason")
    _select_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per group")
    p.set_defaults(func=cmd_list, needs_kafka=True)
    p = dsub.add_parser("replay", parents=[common], help="re-inject selected dead letters' raw input")
    _select_args(p)
    p.add_argument("--to-topic", default=None, help="produce here (default: each failure's source topic)")
    p.add_argument("--dry-run", action="store_true", help="count what would be replayed, produce nothing")
    p.set_defaults(func=cmd_replay, needs_kafka=True)
