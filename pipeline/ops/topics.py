"""``news-pipeline topics``: the broker's topics -> partitions, earliest/end offsets and per-group lag, as tables.

In: ``KafkaSettings`` and optional topic/group filters.  Out: two rich tables (or JSON lines): one row per
partition, one row per (group, partition) with the committed offset and lag.  End offsets are counted
(``pipeline.ops.offsets``), so lag is right on brokers that under-report them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import TextIO

from pipeline.ops.offsets import (
    GroupLag,
    PartitionOffsets,
    group_lags,
    partition_offsets,
    require_topics,
    topic_names,
)
from pipeline.settings import KafkaSettings


def collect(
    kafka: KafkaSettings, topics: list[str] | None, groups: list[str] | None, internal: bool = False
) -> tuple[list[PartitionOffsets], list[GroupLag]]:
    if topics:
        require_topics(kafka, topics)
    names = topics or topic_names(kafka, include_internal=internal)
    offsets = partition_offsets(kafka, names)
    return offsets, group_lags(kafka, offsets, groups)


def render(offsets: list[PartitionOffsets], lags: list[GroupLag], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=max(100, Console(file=out).width))
    t = Table(
        title=f"{len({o.topic for o in offsets})} topics, {len(offsets)} partitions", title_justify="left"
    )
    for col in ("topic", "partition", "earliest", "end", "records"):
        t.add_column(col, justify="left" if col == "topic" else "right")
    previous = None
    for o in offsets:
        t.add_row(
            o.topic if o.topic != previous else "",
            str(o.partition),
            f"{o.earliest:,}",
            f"{o.end:,}",
            f"{o.records:,}",
        )
        previous = o.topic
    console.print(t)
    under = sum(o.end != o.reported_end for o in offsets)
    if under:
        console.print(
            f"end offsets counted by reading each partition's last batch; the broker under-reported {under}"
        )
    if not lags:
        console.print("no consumer group has committed offsets on these topics")
        return
    g = Table(title="consumer groups", title_justify="left")
    for col in ("group", "topic", "partition", "committed", "end", "lag"):
        g.add_column(col, justify="left" if col in ("group", "topic") else "right")
    previous_key = None
    for row in lags:
        key = (row.group, row.topic)
        g.add_row(
            row.group if key != previous_key else "",
            row.topic if key != previous_key else "",
            str(row.partition),
            "-" if row.committed is None else f"{row.committed:,}",
            f"{row.end:,}",
            f"{row.lag:,}",
        )
        previous_key = key
    console.print(g)
    totals: dict[tuple[str, str], int] = {}
    for row in lags:
        totals[(row.group, row.topic)] = totals.get((row.group, row.topic), 0) + row.lag
    console.print("  ".join(f"{grp} on {top}: lag {n:,}" for (grp, top), n in totals.items()))


def cmd_topics(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from pipeline.bus.cli_kafka import resolve_kafka

    out = out or sys.stdout
    offsets, lags = collect(resolve_kafka(args), args.topic, args.group, args.internal)
    if args.json:
        for o in offsets:
            out.write(json.dumps({"kind": "partition", **asdict(o), "records": o.records}) + "\n")
        for row in lags:
            out.write(json.dumps({"kind": "group", **asdict(row), "lag": row.lag}) + "\n")
    else:
        render(offsets, lags, out)
    return 0
