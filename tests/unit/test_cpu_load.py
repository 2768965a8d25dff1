"""The load the stage pool's automatic choice goes by (pipeline/ops/cpu.py): the 1-minute load average, unless the
other processes' use of the cores since this process started says they are idle now."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from pipeline.ops import cpu
from pipeline.transforms.enrich import pool


def test_other_processes_use_is_the_counters_busy_time_less_this_processs_own() -> None:
    since = cpu.Sample(wall_s=100.0, busy_s=50.0, own_s=2.0)
    now = cpu.Sample(wall_s=100.5, busy_s=51.0, own_s=2.4)  # 1.0 s busy over 0.5 s, 0.4 s of it this process
    assert cpu.others_busy(since, now) == pytest.approx(1.2)
    assert cpu.others_busy(since, cpu.Sample(100.5, 50.3, 2.4)) == 0.0  # never below zero (tick rounding)
    too_soon = cpu.Sample(since.wall_s + cpu.MIN_SPAN_S / 2, 60.0, 2.0)
    assert cpu.others_busy(since, too_soon) is None


def test_the_load_is_the_average_unless_the_cores_are_idle_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getloadavg", lambda: (1.26, 1.0, 1.0))
    monkeypatch.setattr(cpu, "others_busy", lambda *_: 0.08)  # the busy spell has ended
    now = cpu.load()
    assert now == pytest.approx(0.08)
    assert now.detail == "load 1.26 over the last minute, 0.08 cores busy with other processes now"
    monkeypatch.setattr(cpu, "others_busy", lambda *_: 1.5)  # still busy: the average stands
    assert cpu.load() == 1.26 and not hasattr(cpu.load(), "detail")
    monkeypatch.setattr(cpu, "others_busy", lambda *_: None)  # not known: the average
    assert cpu.load() == 1.26


def test_a_pool_is_chosen_when_the_cores_went_idle_and_the_run_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool, "usable_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.26, 1.0, 1.0))
    monkeypatch.setattr(cpu, "others_busy", lambda *_: 0.08)
    n, why = pool.pool_choice(True, load=cpu.load)
    assert n == 2 and why == (
        "automatic: 2 usable cores, load 1.26 over the last minute, 0.08 cores busy with other processes now"
    )
    monkeypatch.setattr(
        cpu, "others_busy", lambda *_: 1.1
    )  # busy now as well: no pool, and both figures said
    assert pool.pool_choice(True, load=cpu.load) == (
        0,
        "automatic: load 1.26 over the last minute, 1.10 cores busy with other processes now >= 1 of 2 usable cores",
    )
    monkeypatch.setattr(cpu, "others_busy", lambda *_: 1.5)
    assert pool.pool_choice(True, load=cpu.load) == (0, "automatic: load 1.26 >= 1 of 2 usable cores")


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_busy_process_beside_this_one_is_counted() -> None:
    """Against the real counters: a child spinning on a core for the whole span shows as (most of) a busy core."""
    burner = multiprocessing.get_context("spawn").Process(target=_spin, args=(3.0,))
    burner.start()
    try:
        time.sleep(0.5)  # the child's interpreter is up and spinning
        since = cpu.sample()
        time.sleep(0.6)
        busy = cpu.others_busy(since, cpu.sample())
    finally:
        burner.kill()
        burner.join()
    assert since is not None and busy is not None and busy >= 0.6, busy


def test_only_a_busy_looking_start_is_measured_and_a_short_span_is_waited_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def not_asked(*_: object) -> float:
        raise AssertionError("measured although the load average was below 1")

    monkeypatch.setattr(os, "getloadavg", lambda: (0.7, 1.0, 1.0))
    monkeypatch.setattr(cpu, "others_busy", not_asked)
    assert cpu.load() == 0.7
    monkeypatch.undo()
    monkeypatch.setattr(
        os, "getloadavg", lambda: (50.0, 1.0, 1.0)
    )  # busy-looking: measured, over a countable span
    monkeypatch.setattr(cpu, "_START", cpu.sample())
    assert cpu._START is not None
    cpu.load()
    assert time.monotonic() - cpu._START.wall_s >= cpu.MIN_SPAN_S
