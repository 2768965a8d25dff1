"""An interrupted command exits with 130 however it was started: also under ``python -m``, where CPython exits by
SIGINT when the last string it ``exec``-uted ended in KeyboardInterrupt, caught or not (cli.py ``_forget_interrupt``).
A SIGTERM during ``run``'s start-up lands there about once in twenty (tests/integration/test_run_signals.py); here
the interrupt is put there on purpose, so the case is met every time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pipeline import cli

def interrupted(args):
    exec("raise KeyboardInterrupt")  # as a signal inside a dataclass's generated code would

cli.cmd_inspect = interrupted
sys.exit(cli.main(["inspect", "anything.txt"]))
"""


def test_an_interrupt_inside_exec_still_exits_130_under_python_m(tmp_path: Path) -> None:
    (tmp_path / "interrupted_cli.py").write_text(CHILD)
    out = subprocess.run(
        [sys.executable, "-m", "interrupted_cli"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.stderr.strip().splitlines() == ["news-pipeline: interrupted"], out.stderr[-2000:]
    assert out.returncode == 130
