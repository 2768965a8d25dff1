"""``news-pipeline status``: a live view of a running poller and pipeline, read from the outside.

In: the broker (topic end offsets, the pipeline's consumer groups, the last dead letter) and the poller's state file.
Out: a rich panel refreshed every ``interval`` seconds: records and rates per topic, lag of the pipeline group (raw
topic) and of its file sink (output topic), dead letters (count, last reason), the poller's feeds and last error.
Nothing is written anywhere; rates are differences of counted end offsets between two refreshes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.ops.offsets import group_lags, last_records, partition_offsets, topic_names
from pipeline.settings import FileSinkSettings, KafkaSettings, TopicSettings


@dataclass
class Snapshot:
    at: float
    records: dict[str, int]  # topic -> records (end - earliest, summed over partitions)
    ends: dict[str, int]  # topic -> sum of end offsets (for rates)
    lags: dict[str, tuple[str, int]] = field(default_factory=dict)  # group -> (topic, lag)
    last_dead_letter: str | None = None
    feeds: str | None = None
    last_error: str | None = None


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%H:%M:%S UTC") if ms else "-"


def _last_dead_letter(kafka: KafkaSettings, offsets: list) -> str | None:
    from pipeline.avro.codec import decode_failure

    records = sorted(last_records(kafka, offsets), key=lambda m: m.timestamp)
    if not records:
        return None
    msg = records[-1]
    try:
        f = decode_failure(msg.value)
    except Exception as exc:  # a foreign record on the topic: say so rather than fail the view
        return f"(undecodable record at {msg.partition}:{msg.offset}: {type(exc).__name__})"
    return f"{_when(f.failed_at_ms)} {f.stage}/{f.error_type}: {f.reason[:120]}"


def _poller(state_path: Path | None) -> tuple[str | None, str | None]:
    if state_path is None or not state_path.exists():
        return None, None
    from pipeline.poller.state import StateStore

    store = StateStore(state_path)
    try:
        feeds = store.feeds()
    finally:
        store.close()
    failing = [f for f in feeds if f.consecutive_errors]
    last_poll = max((f.last_poll_ms or 0 for f in feeds), default=0)
    summary = f"{len(feeds)} feeds, {len(failing)} failing, last poll {_when(last_poll)}"
    worst = max(failing, key=lambda f: f.last_poll_ms or 0, default=None)
    error = f"{worst.url}: {worst.last_error}" if worst and worst.last_error else None
    return summary, error


def snapshot(kafka: KafkaSettings, topics: TopicSettings, group: str, state_path: Path | None) -> Snapshot:
    existing = set(topic_names(kafka))
    names = [t for t in (topics.raw, topics.output, topics.audit, topics.dead_letter) if t in existing]
    offsets = partition_offsets(kafka, names)
    snap = Snapshot(time.monotonic(), {t: 0 for t in names}, {t: 0 for t in names})
    for o in offsets:
        snap.records[o.topic] += o.records
        snap.ends[o.topic] += o.end
    watched = {group: topics.raw, f"{group}{FileSinkSettings().group_suffix}": topics.output}
    for row in group_lags(kafka, offsets, list(watched)):
        if row.topic == watched[row.group]:
            lag = snap.lags.get(row.group, (row.topic, 0))[1]
            snap.lags[row.group] = (row.topic, lag + row.lag)
    dlq = [o for o in offsets if o.topic == topics.dead_letter]
    snap.last_dead_letter = _last_dead_letter(kafka, dlq)
    snap.feeds, snap.last_error = _poller(state_path)
    return snap


def view(snap: Snapshot, prev: Snapshot | None, topics: TopicSettings) -> Any:
    from rich.console import Group
    from rich.table import Table

    t = Table(title=f"news-pipeline status  {time.strftime('%H:%M:%S')}", title_justify="left")
    for col in ("topic", "role", "records", "rate /s"):
        t.add_column(col, justify="left" if col in ("topic", "role") else "right")
    roles = {
        topics.raw: "raw",
        topics.output: "output",
        topics.audit: "duplicates",
        topics.dead_letter: "dead letters",
    }
    for topic, n in snap.records.items():
        rate = "-"
        if prev is not None and topic in prev.ends and snap.at > prev.at:
            rate = f"{(snap.ends[topic] - prev.ends[topic]) / (snap.at - prev.at):.1f}"
        t.add_row(topic, roles.get(topic, ""), f"{n:,}", rate)
    lines = [t]
    if snap.lags:
        lines += [f"lag  {g} on {topic}: {lag:,}" for g, (topic, lag) in snap.lags.items()]
    else:
        lines.append("lag  no pipeline group has committed yet")
    dead = snap.records.get(topics.dead_letter, 0)
    lines.append(
        f"dead letters  {dead:,}" + (f"; last: {snap.last_dead_letter}" if snap.last_dead_letter else "")
    )
    if snap.feeds:
        lines.append(f"poller  {snap.feeds}")
    lines.append(f"last error  {snap.last_error or '-'}")
    return Group(*lines)


def cmd_status(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.live import Live

    from pipeline.bus.cli_kafka import resolve_kafka
    from pipeline.bus.cli_kafka import topic_settings as _topic_settings
    from pipeline.poller.settings import PollerSettings

    kafka, topics = resolve_kafka(args), _topic_settings(args)
    state = args.state or PollerSettings().state_path
    take = lambda: snapshot(kafka, topics, args.group, state)  # noqa: E731
    console = Console()
    prev = take()
    if args.once or not console.is_terminal:
        time.sleep(min(args.interval, 1.0))  # two samples: rates need a difference
        console.print(view(take(), prev, topics))
        return 0
    try:
        with Live(view(prev, None, topics), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(args.interval)
                snap = take()
                live.update(view(snap, prev, topics), refresh=True)
                prev = snap
    except KeyboardInterrupt:
        pass
    return 0
