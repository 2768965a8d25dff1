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


def test_importing_the_cli_module_leaves_settings_and_clients_for_the_commands() -> None:
    """A run's spawned processes (stage workers, the cluster restore helper) import the main module again as
    ``__mp_main__``; with ``python -m pipeline.cli`` or the ``news-pipeline`` script that is this module, so it must
    not pull in pydantic settings or the Kafka client at import (~0.13 s of CPU in each of them)."""
    root = Path(__file__).resolve().parents[2]
    check = (
        "import sys, pipeline.cli\n"
        "print(sorted(m for m in ('pydantic', 'pipeline.settings', 'kafka', 'apache_beam') if m in sys.modules))\n"
        "pipeline.cli.build_parser()\n"
        "print('pipeline.settings' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    imported, after = out.stdout.strip().splitlines()[-2:]
    assert imported == "[]"
    assert after == "True"  # (the probe sees them once a command needs them)
