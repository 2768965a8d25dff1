"""``skip_final_gc`` (pipeline/ops/exit.py): the heap is frozen at exit, after the other exit handlers and before
the interpreter's last collection; the CLI and the stage pool workers register it."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import wait
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# registered first, so it runs last: what it sees is what the interpreter's final collection sees
PROBE = "import atexit, gc\natexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"


def _last_line(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE + code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("skip", [False, True])
def test_the_heap_is_frozen_at_exit_only_when_asked(skip: bool) -> None:
    code = "from pipeline.ops.exit import skip_final_gc\nx = [[i] for i in range(1000)]\n"
    code += "skip_final_gc()\nskip_final_gc()\n" if skip else ""
    assert _last_line(code) == f"frozen {skip}"


def test_the_cli_skips_the_final_collection() -> None:
    assert _last_line("from pipeline.cli import main\nmain(['--help'])") == "frozen True"


def test_stage_pool_workers_skip_it_too() -> None:
    from pipeline.transforms.enrich.pool import EnrichPool
    from tests import probe

    pool = EnrichPool(1, None, False)
    try:
        done, not_done = wait(pool._warm, timeout=300)
        assert not not_done
        got = pool.submit_each(probe.attribute, ["pipeline.ops.exit:_registered"]).result(timeout=300)
    finally:
        pool.shutdown()
    assert got == [True]
