"""A stage worker killed half-way through sending a result breaks its pool like any other death, instead of hanging
the pipeline process for ever (pool.guard_result_pipe; a CI drain hung that way in test_worker_kill.py).

The worker's death is made exact here: the task itself takes the result pipe's write lock, writes a result's header
and the first 10 KB of its 1 MB, and SIGKILLs its own process, as the kernel would have at that instant.  Each case
runs in a subprocess, so a hang is a failed deadline, not a hung test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.bus.client import ensure_topics

ROOT = Path(__file__).resolve().parents[2]

DIE = """
import json, os, signal, struct, sys, time


def die_mid_result(*_args):
    frame = sys._getframe()
    while frame.f_code.co_name != "_process_worker":
        frame = frame.f_back
    results = frame.f_locals["result_queue"]
    results._wlock.acquire()
    results._writer._send(struct.pack("!i", 1 << 20) + b"x" * 10_000)
    os.kill(os.getpid(), signal.SIGKILL)
"""

POOL = """
from concurrent.futures import TimeoutError as FutureTimeout
from pipeline.transforms.enrich.pool import EnrichPool


def answer_later(item):
    time.sleep(1.5)  # the other worker has died by then: this result waits for the write lock it held
    return item


if __name__ == "__main__":
    workers = int(sys.argv[1])
    pool = EnrichPool(workers, None, False)
    assert pool.ready(wait=True)
    futures = [pool.submit_each(die_mid_result, [0])]
    futures += [pool.submit_each(answer_later, [i]) for i in range(1, workers)]
    outcomes = []
    for future in futures:
        try:
            exc = future.exception(timeout=float(sys.argv[2]))
        except FutureTimeout:
            outcomes.append("hung")
            continue
        outcomes.append(type(exc).__name__ if exc is not None else "result")
    print(json.dumps(outcomes), flush=True)
    if "hung" in outcomes:
        os._exit(3)  # the executor's threads would hold the exit too
    pool.shutdown()
    print("shut down", flush=True)
"""

RESTORE = """
from pipeline.settings import KafkaSettings
from pipeline.transforms.cluster import restore
from pipeline.transforms.dedup.restore import RestoreSource

if __name__ == "__main__":
    restore.PREFETCH_MIN_RECORDS = 0
    restore.load = die_mid_result  # what the helper runs: pickled by name, found in the helper's __mp_main__
    source = RestoreSource(KafkaSettings(bootstrap_servers=sys.argv[1]), sys.argv[2], "dies")
    pending = restore.Prefetch(source, 3600, time.time())
    deadline = time.monotonic() + 60
    while pending._future is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pending._future is not None, "no helper started"
    print(json.dumps(pending.take() is None), flush=True)  # None: this process restores the snapshot itself
"""


def _run(tmp_path: Path, code: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "child.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        return subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=90,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the pool's process did not finish within 90 s: {exc.stdout!r}")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_killed_while_sending_a_result_breaks_the_pool(tmp_path: Path, workers: int) -> None:
    done = _run(tmp_path, DIE + POOL, [str(workers), "20"])
    lines = done.stdout.splitlines()
    assert lines, done.stderr[-3000:]
    assert json.loads(lines[0]) == ["BrokenProcessPool"] * workers, done.stderr[-3000:]
    assert lines[1:] == ["shut down"] and done.returncode == 0, (lines, done.stderr[-3000:])


def test_a_restore_helper_killed_while_sending_the_snapshot_is_a_failure(
    tmp_path: Path, kafka, topics
) -> None:
    ensure_topics(kafka, [topics.output])
    done = _run(tmp_path, DIE + RESTORE, [kafka.bootstrap_servers, topics.output])
    assert done.stdout.splitlines() == ["true"], done.stderr[-3000:]
    assert "restore in a helper process failed" in done.stderr, done.stderr[-3000:]
