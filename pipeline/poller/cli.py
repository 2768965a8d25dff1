"""``news-pipeline poll`` and ``news-pipeline feeds ...``: arguments -> settings -> calls into the poller.

In: parsed arguments (the lead's ``pipeline/cli.py`` calls ``register``).  Out: exit codes, a report line, the
feed health table (rich).  No poller logic lives here.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from pipeline.poller import outbox
from pipeline.poller.feeds import (
    FeedListError,
    FeedSpec,
    check_url,
    export_opml,
    import_opml,
    parse_duration,
    read_yaml,
    write_yaml,
)
from pipeline.poller.settings import PollerSettings
from pipeline.poller.state import FeedState, StateStore
from pipeline.settings import KafkaSettings, TopicSettings


def _fail(message: str) -> SystemExit:
    print(f"news-pipeline: error: {message}", file=sys.stderr)
    return SystemExit(2)


def _kafka(args: argparse.Namespace) -> KafkaSettings:
    """Bootstrap and security settings from the common flags (the same resolution as every other command)."""
    from pipeline.bus.cli_kafka import resolve_kafka

    return resolve_kafka(args)


def _state_args(p: argparse.ArgumentParser) -> None:
    d = PollerSettings()
    p.add_argument(
        "--state", type=Path, default=d.state_path, help=f"poller state file (default {d.state_path})"
    )
    p.add_argument(
        "--feeds",
        type=Path,
        default=None,
        metavar="feeds.yaml",
        help="YAML feed list: poll syncs it into the state; add/remove/import-opml also edit it",
    )


def settings_from(args: argparse.Namespace) -> PollerSettings:
    values = {"state_path": args.state}
    for name in (
        "allow_private_hosts",
        "user_agent",
        "contact",
        "workers",
        "per_host_concurrency",
        "per_host_rate",
        "min_interval_s",
        "max_interval_s",
        "default_interval_s",
        "metrics_port",
        "connect_timeout_s",
        "read_timeout_s",
        "max_body_bytes",
        "delivery_timeout_s",
        "websub_host",
        "websub_port",
        "websub_callback_url",
        "lease_s",
    ):
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if getattr(args, "respect_robots", False):
        values["respect_robots"] = True
    if getattr(args, "websub", False):
        values["websub"] = True
    return PollerSettings(**values)


def cmd_poll(args: argparse.Namespace) -> int:
    from pipeline.poller.runner import Poller
    from pipeline.websub.service import attach

    settings = settings_from(args)
    topics = TopicSettings(raw=args.raw_topic, dead_letter=args.dead_letter_topic)
    serve = bool(args.loop and settings.websub)  # WebSub push beside polling (docs/websub.md)
    with (
        Poller(settings, _kafka(args), topics) as poller,
        attach(poller, settings, _kafka(args), topics, serve),
    ):
        if args.feeds:  # the YAML file is authoritative for the feeds it brought in
            listed = set(poller.sync(read_yaml(args.feeds), source="yaml"))
            for gone in [f.url for f in poller.state.feeds() if f.source == "yaml" and f.url not in listed]:
                poller.state.remove_feed(gone)
        if not poller.state.feeds():
            raise _fail("no feeds: add some with `news-pipeline feeds add URL` or pass --feeds feeds.yaml")
        if not args.loop:
            report = poller.run_once(force=args.force)
            if report.broker_down:
                print(f"news-pipeline: error: Kafka unreachable: {report.broker_error}", file=sys.stderr)
                return 1
            print(report)
            if report.feeds_polled and report.errors == report.feeds_polled:
                _every_feed_failed(poller.state.feeds())
                return 1
            if report.delivery_failures:
                print(
                    f"news-pipeline: error: Kafka did not acknowledge the records of {report.delivery_failures} "
                    "feeds; they will be polled and sent again",
                    file=sys.stderr,
                )
                return 1
            return 0
        if settings.metrics_port:
            poller.metrics.serve(settings.metrics_port)
            print(f"metrics on http://127.0.0.1:{settings.metrics_port}/metrics", file=sys.stderr)
        if not settings.contact:
            print("warning: no --contact set; publishers cannot tell who polls them", file=sys.stderr)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        poller.run_forever(stop, on_tick=lambda r: print(f"{time.strftime('%H:%M:%S')} {r}", flush=True))
    return 0


def _every_feed_failed(feeds: list[FeedState]) -> None:
    """Why each feed failed, then one line saying so (the exit code is 1)."""
    for f in feeds:
        if f.consecutive_errors and f.last_error:
            print(f"  {f.url}: {f.last_error}", file=sys.stderr)
    hint = ""
    if any("public address" in (f.last_error or "") for f in feeds):
        hint = " (loopback/private feeds need --allow-private-hosts 127.0.0.1)"
    print(f"news-pipeline: error: every feed failed to poll{hint}", file=sys.stderr)


def _store(args: argparse.Namespace) -> StateStore:
    return StateStore(args.state)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _edit_yaml(args: argparse.Namespace, add: list[FeedSpec] = (), remove: str | None = None) -> None:
    if not args.feeds:
        return
    specs = [s for s in read_yaml(args.feeds) if s.url != remove]
    known = {s.url for s in specs}
    specs += [s for s in add if s.url not in known]
    write_yaml(args.feeds, specs)


def cmd_feeds(args: argparse.Namespace) -> int:
    try:
        return _feeds(args)
    except FeedListError as exc:
        raise _fail(str(exc)) from exc


def _feeds(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        if args.action == "add":
            spec = FeedSpec(check_url(args.url), args.title, parse_duration(args.interval), args.category)
            new = store.add_feed(spec.url, _now_ms(), spec.title, spec.interval_s, spec.category)
            _edit_yaml(args, add=[spec])
            print(("added " if new else "updated ") + spec.url)
        elif args.action == "remove":
            if not store.remove_feed(args.url):
                raise _fail(f"not in the feed list: {args.url}")
            _edit_yaml(args, remove=args.url)
            print(f"removed {args.url}")
        elif args.action == "list":
            for f in store.feeds():
                print(f"{f.url}\t{f.title or ''}\t{f.interval_s or ''}")
        elif args.action == "import-opml":
            specs = import_opml(Path(args.file).read_bytes())
            added = sum(store.add_feed(s.url, _now_ms(), s.title, None, s.category, "opml") for s in specs)
            _edit_yaml(args, add=specs)
            print(f"{len(specs)} feeds in {args.file}, {added} new")
        elif args.action == "export-opml":
            data = export_opml(FeedSpec(f.url, f.title, f.interval_s, f.category) for f in store.feeds())
            if args.file and args.file != "-":
                Path(args.file).write_bytes(data)
            else:
                sys.stdout.write(data.decode("utf-8"))
        elif args.action == "status":
            print_status(store.feeds(), _now_ms())
            rows, size = outbox.size_of(store.read)
            waiting = outbox.pending_count(store.read)
            print(
                f"outbox: {rows} delivered records ({size / 1e6:.1f} MB) kept to re-send if the broker loses them"
                + (f"; {waiting} waiting to be re-sent" if waiting else "")
            )
    finally:
        store.close()
    return 0


def _ago(ms: int | None, now_ms: int) -> str:
    if not ms:
        return "-"
    d = (now_ms - ms) / 1000.0
    sign, d = ("in " if d < 0 else ""), abs(d)
    text = (
        f"{d:.0f}s"
        if d < 90
        else f"{d / 60:.0f}m"
        if d < 5400
        else f"{d / 3600:.1f}h"
        if d < 172800
        else f"{d / 86400:.0f}d"
    )
    return sign + text + ("" if sign else " ago")


def status_row(f: FeedState, now_ms: int) -> list[str]:
    if f.consecutive_errors:
        status = f"[red]{f.last_error_kind or 'error'}[/red]"
    elif f.last_error_kind == "delivery":
        status = "[yellow]not delivered[/yellow]"
    elif f.polls == 0:
        status = "new"
    else:
        status = f"[green]{f.last_status or 'ok'}[/green]"
    ratio = f"{100.0 * f.not_modified / f.polls:.0f}%" if f.polls else "-"
    return [
        f.title or f.url,
        _ago(f.last_poll_ms, now_ms),
        status,
        ratio,
        str(f.consecutive_errors),
        "polling"
        if f.leased_until_ms > now_ms
        else "due"
        if f.next_poll_ms <= now_ms
        else _ago(f.next_poll_ms, now_ms),
        str(f.entries_sent + f.updates_sent),
        str(f.guid_drift or ""),
    ]


def print_status(feeds: list[FeedState], now_ms: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(feeds)} feeds")
    for col, justify in (
        ("feed", "left"),
        ("last poll", "right"),
        ("status", "left"),
        ("304", "right"),
        ("errors", "right"),
        ("next poll", "right"),
        ("sent", "right"),
        ("drift", "right"),
    ):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for f in feeds:
        table.add_row(*status_row(f, now_ms))
    Console().print(table)
    for f in feeds:
        if f.consecutive_errors and f.last_error:
            print(f"  {f.url}: {f.last_error}")


def register(
    subparsers: argparse._SubParsersAction,
    common_parent: argparse.ArgumentParser,
    plain_parent: argparse.ArgumentParser | None = None,
) -> None:
    """Add ``poll`` and ``feeds`` to the main parser (``common_parent`` brings the Kafka flags and -v;
    ``feeds`` never talks to Kafka, so it takes ``plain_parent``'s flags only)."""
    t = TopicSettings()
    _D = PollerSettings()
    p = subparsers.add_parser(
        "poll", parents=[common_parent], help="poll feeds into the raw topic (once or --loop)"
    )
    _state_args(p)
    p.add_argument("--loop", action="store_true", help="keep polling on schedule until SIGINT/SIGTERM")
    p.add_argument("--force", action="store_true", help="once: poll every feed, due or not")
    p.add_argument("--raw-topic", default=t.raw, help="topic the entries go to (default: %(default)s)")
    p.add_argument(
        "--dead-letter-topic", default=t.dead_letter, help="topic of poll failures (default: %(default)s)"
    )
    p.add_argument(
        "--allow-private-hosts",
        dest="allow_private_hosts",
        default=None,
        metavar="HOST[,NET...]",
        help="let the fetcher reach these loopback/private hosts or networks (e.g. 127.0.0.1)",
    )
    p.add_argument(
        "--user-agent", default=None, help=f"product token sent to servers (default {_D.user_agent})"
    )
    p.add_argument("--contact", default=None, help="URL or mailto: for the User-Agent")
    p.add_argument("--workers", type=int, default=None, help=f"parallel fetches (default {_D.workers})")
    p.add_argument(
        "--per-host-concurrency",
        dest="per_host_concurrency",
        type=int,
        default=None,
        help=f"parallel fetches per host (default {_D.per_host_concurrency})",
    )
    p.add_argument(
        "--per-host-rate", dest="per_host_rate", type=float, default=None, help="requests/s per host"
    )
    p.add_argument(
        "--min-interval",
        dest="min_interval_s",
        type=parse_duration,
        default=None,
        help=f"never poll a feed more often (default {_D.min_interval_s:.0f}s; 30s/15m/2h)",
    )
    p.add_argument(
        "--max-interval",
        dest="max_interval_s",
        type=parse_duration,
        default=None,
        help=f"poll every feed at least this often (default {_D.max_interval_s:.0f}s)",
    )
    p.add_argument(
        "--interval",
        dest="default_interval_s",
        type=parse_duration,
        default=None,
        help=f"default interval for feeds without their own (default {_D.default_interval_s:.0f}s)",
    )
    p.add_argument("--respect-robots", action="store_true", help="check robots.txt before fetching")
    p.add_argument(
        "--metrics-port", type=int, default=None, help="--loop: Prometheus metrics on 127.0.0.1:PORT"
    )
    from pipeline.websub.flags import add_server_args

    add_server_args(p, switch=True)
    p.add_argument(
        "--lease",
        dest="lease_s",
        type=parse_duration,
        default=None,
        help=f"how long a killed poller's feeds stay taken (default {PollerSettings().lease_s:.0f}s)",
    )
    p.set_defaults(func=cmd_poll)

    f = subparsers.add_parser(
        "feeds", parents=[plain_parent or common_parent], help="manage the feed list and see its health"
    )
    fsub = f.add_subparsers(dest="action", required=True)
    a = fsub.add_parser("add", help="add a feed (or change its title/interval)")
    a.add_argument("url", help="feed URL (RSS, Atom or JSON Feed)")
    a.add_argument("--title", help="display name (default: the feed's own title)")
    a.add_argument(
        "--interval", help="this feed's poll interval: seconds or 30s/15m/2h/1d (default: adaptive)"
    )
    a.add_argument("--category", help="a label kept with the feed (e.g. world, business)")
    r = fsub.add_parser("remove", help="remove a feed and forget its entries")
    r.add_argument("url")
    fsub.add_parser("list", help="the feed list (url, title, interval)")
    i = fsub.add_parser("import-opml", help="add every feed of an OPML file")
    i.add_argument("file")
    e = fsub.add_parser("export-opml", help="write the feed list as OPML (to FILE or stdout)")
    e.add_argument("file", nargs="?", default="-")
    fsub.add_parser(
        "status", help="health table: last poll, status, 304 ratio, errors, next poll, entries sent"
    )
    for sp in (a, r, i, e, *[fsub.choices[n] for n in ("list", "status")]):
        _state_args(sp)
    f.set_defaults(func=cmd_feeds)
