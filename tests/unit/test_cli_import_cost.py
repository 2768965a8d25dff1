"""``news-pipeline`` registers every command's arguments, poller's included, but a command that never polls (``run``,
``inspect``, ``topics``...) does not import the HTTP client and the feed parser (~0.15 s of every start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import sys
from pipeline.cli import build_parser
args = build_parser().parse_args(["run", "--raw-topic", "r"])
print(sorted(m for m in ("httpx", "feedparser", "pipeline.poller.runner") if m in sys.modules))
from pipeline.poller import Poller, poll_once  # still there for who polls
print(Poller.__module__, poll_once.__name__)
"""


def test_parsing_a_run_command_does_not_import_the_poller_runner() -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    imported, poller = out.stdout.strip().splitlines()[-2:]
    assert imported == "[]"
    assert poller == "pipeline.poller.runner poll_once"
