"""The WebSub callback server's command-line flags: a leaf module, so ``poll`` and ``websub serve`` can both add them
without importing each other's command modules."""

from __future__ import annotations

import argparse


def add_server_args(p: argparse.ArgumentParser, switch: bool = False) -> None:
    """The callback server's flags; ``switch`` adds ``--websub`` (``poll --loop`` runs it only when asked)."""
    g = p.add_argument_group("WebSub push (docs/websub.md)")
    if switch:
        g.add_argument(
            "--websub", action="store_true", help="--loop: subscribe to hubs and serve their callbacks"
        )
    g.add_argument(
        "--websub-host", dest="websub_host", default=None, help="callback server address (127.0.0.1)"
    )
    g.add_argument(
        "--websub-port", dest="websub_port", type=int, default=None, help="callback port (8086; 0: free)"
    )
    g.add_argument(
        "--websub-callback-url",
        dest="websub_callback_url",
        default=None,
        help="public base URL hubs call (default http://HOST:PORT/websub)",
    )
