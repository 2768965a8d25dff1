"""beam/journal.py: the coordinates a process noted before it died are a later run's suspects; a live process's and
a finished batch's are not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.beam.journal import WorkJournal

DIES_WORKING = """
import os, signal, sys
from pipeline.beam.journal import WorkJournal
j = WorkJournal(sys.argv[1]).open()
j.working([("news.raw", 0, 5)])
j.done()  # a batch worked through: nothing left of it
j.working([("news.raw", 2, 41), ("news.raw", 3, 7)])
os.kill(os.getpid(), signal.SIGKILL)  # dies working the second batch
"""


def test_what_a_dead_process_was_working_on_is_suspect_once(tmp_path: Path) -> None:
    prefix = str(tmp_path / "journal" / "group.enrich")
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    died = subprocess.run([sys.executable, "-c", DIES_WORKING, prefix], env=env, timeout=60, check=False)
    assert died.returncode == -9
    live = WorkJournal(prefix).open()  # this process: alive, its own file is not read by itself
    live.working([("news.raw", 9, 9)])
    assert live.suspects == {("news.raw", 2, 41), ("news.raw", 3, 7)}
    again = WorkJournal(prefix).open()
    assert again.suspects == set()  # taken by the first reader; a live process's batch is not a suspect
    for j in (live, again):
        j.close()
    assert os.listdir(tmp_path / "journal") == []


def test_a_process_that_ends_normally_leaves_nothing(tmp_path: Path) -> None:
    prefix = str(tmp_path / "group.normalize")
    j = WorkJournal(prefix).open()
    j.working([("news.raw", 0, 1)])
    j.done()
    j.close()
    assert os.listdir(tmp_path) == []
    assert WorkJournal(prefix).open().suspects == set()
