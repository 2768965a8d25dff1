"""``news-pipeline websub serve|status`` and the ``--websub`` flags of ``poll``: arguments -> settings -> service.

In: parsed arguments.  Out: a running callback server (serve), the subscription table (status), exit codes.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from pipeline.websub.flags import add_server_args


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.poller.cli import _kafka, settings_from
    from pipeline.settings import TopicSettings
    from pipeline.websub.service import WebSub

    settings = settings_from(args)
    topics = TopicSettings(raw=args.raw_topic, dead_letter=args.dead_letter_topic)
    try:
        websub = WebSub(settings, _kafka(args), topics)
    except OSError as exc:  # the port is taken, the address is not ours
        print(f"news-pipeline: error: cannot serve WebSub callbacks: {exc}", file=sys.stderr)
        return 2
    with websub:
        if settings.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(settings.metrics_port, addr="127.0.0.1", registry=websub.metrics.registry)
        print(f"WebSub callbacks on {websub.callback_base}/<token> (Ctrl-C to stop)", flush=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
    return 0


def _ago(ms: int | None, now_ms: int) -> str:
    if not ms:
        return "-"
    d = (ms - now_ms) / 1000.0
    return f"in {d / 3600:.1f}h" if d >= 0 else f"{-d / 3600:.1f}h ago"


def cmd_status(args: argparse.Namespace) -> int:
    from pipeline.websub.store import WebSubStore

    store = WebSubStore(args.state)
    try:
        now_ms, links = int(time.time() * 1000), store.links()
        subs = store.subscriptions()
        print("feed\thub\tstate\texpires\tpushes\tentries\tlast error")
        for s in subs:
            print(
                f"{s.feed_url}\t{s.hub}\t{s.state}\t{_ago(s.expires_ms, now_ms)}\t{s.pushes}\t{s.entries_sent}\t"
                f"{s.last_error or ''}"
            )
        hubless = sum(1 for link in links.values() if not link.hubs)
        print(f"{len(subs)} subscriptions; {len(links) - hubless} polled feeds name a hub, {hubless} do not")
    finally:
        store.close()
    return 0


def register(subparsers: argparse._SubParsersAction, common_parent: argparse.ArgumentParser) -> None:
    from pipeline.poller.cli import _state_args
    from pipeline.settings import TopicSettings

    t = TopicSettings()
    w = subparsers.add_parser("websub", help="WebSub push: callback server, subscriptions")
    wsub = w.add_subparsers(dest="action", required=True)
    s = wsub.add_parser(
        "serve",
        parents=[common_parent],
        help="serve hub callbacks and keep subscriptions alive (the poller polls on)",
    )
    _state_args(s)
    add_server_args(s)
    s.add_argument("--raw-topic", default=t.raw)
    s.add_argument("--dead-letter-topic", default=t.dead_letter)
    s.add_argument("--allow-private-hosts", dest="allow_private_hosts", default=None, metavar="HOST[,NET...]")
    s.add_argument("--metrics-port", type=int, default=None, help="Prometheus metrics on 127.0.0.1:PORT")
    s.set_defaults(func=cmd_serve)
    st = wsub.add_parser("status", parents=[common_parent], help="subscriptions: hub, state, lease, pushes")
    _state_args(st)
    st.set_defaults(func=cmd_status)
