"""Dry runs (and launches) from one checkout at the same time: each builds the job's package with ``setup.py sdist``
in the checkout, in a scratch directory they would share (``deploy/dataflow.py``, ``package_build_lock``).  Without
the lock two of three such builds failed in each of three tries; the test suite's own parallel workers hit it too."""

from __future__ import annotations

import subprocess
import sys

DEADLINE_S = 240


def test_three_dry_runs_at_once_all_succeed(tmp_path):
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "deploy",
                "dataflow",
                "--dry-run",
                "--out",
                str(tmp_path / f"{i}.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    results = [(p.wait(timeout=DEADLINE_S), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], [err[-600:] for _, err in results]
    assert all((tmp_path / f"{i}.json").stat().st_size > 0 for i in range(3))
