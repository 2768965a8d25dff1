"""Run every benchmark in bench/ in turn (each prints its own table), then write bench/results/report.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    status |= subprocess.call([sys.executable, str(HERE / "report.py")])
    sys.exit(status)
