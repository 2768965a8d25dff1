"""SIGKILL of a process that runs an enrich pool, or clustering's restore helper: its workers leave too, instead of
waiting on their task queue for ever with their models in memory (each restart after a crash would otherwise leave
one more)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.bus.client import ensure_topics

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys, time
from pipeline.transforms.enrich.pool import EnrichPool

if __name__ == "__main__":
    pool = EnrichPool(2, None, False)
    assert pool.ready(wait=True)
    print(" ".join(str(pid) for pid in pool._executor._processes), flush=True)
    time.sleep(600)
"""


RESTORE_HELPER = """
import sys, time
from pipeline.settings import KafkaSettings
from pipeline.transforms.cluster import restore
from pipeline.transforms.dedup.restore import RestoreSource

if __name__ == "__main__":
    restore.PREFETCH_MIN_RECORDS = 0
    source = RestoreSource(KafkaSettings(bootstrap_servers=sys.argv[1]), sys.argv[2], "orphans")
    restore.prefetch(source, 3600, time.time())
    (pending,) = restore._PREFETCHES.values()
    deadline = time.monotonic() + 60
    while (pending._future is None or not pending._executor._processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    pending._future.result(timeout=60)  # the helper restored: it now waits for its next task
    print(" ".join(str(pid) for pid in pending._executor._processes), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _describe(pids: list[int]) -> list[str]:
    """State and parent of each survivor, for the failure message."""
    out = []
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out.append(f"{pid} state {fields[0]} ppid {fields[1]}")
    return out


def test_workers_leave_when_the_pipeline_process_is_killed(tmp_path: Path) -> None:
    assert_children_leave(tmp_path, CHILD, [], 2)


def test_the_restore_helper_leaves_when_the_pipeline_process_is_killed(tmp_path: Path, kafka, topics) -> None:
    ensure_topics(kafka, [topics.output])
    assert_children_leave(tmp_path, RESTORE_HELPER, [kafka.bootstrap_servers, topics.output], 1)


def assert_children_leave(tmp_path: Path, code: str, args: list[str], expected: int) -> None:
    """Run ``code``, which prints its worker pids once they are up; SIGKILL it; every worker must be gone soon."""
    script = tmp_path / "child.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers: list[int] = []
    child = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    try:
        line = child.stdout.readline()
        workers = [int(pid) for pid in line.split()]
        assert len(workers) == expected and all(_alive(pid) for pid in workers), line
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        survivors = [pid for pid in workers if _alive(pid)]
        assert not survivors, f"workers outlived their pipeline process: {_describe(survivors)}"
    finally:
        child.kill()
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
