"""The load the stage pool's automatic choice goes by (enrich/pool.py): the 1-minute load average, unless the cores
are idle now.

The load average lags: it decays over a minute, so after a busy spell that has ended (a previous run, a benchmark, a
cron job) it stays at 1 or more for tens of seconds on an idle 2-core machine, and a run started then chose no stage
pool for its whole life.  Seen in session 31: a stream run of the benchmark started at load 1.17 right after the
previous one, on a machine idle again, and worked alone (p50 0.29 s against 0.16 s with two workers); the fault
suite's 30,000-item soak drain started at load 1.26 and took 156 s alone (68 s with a worker the day before).

So the CPU counters of ``/proc/stat`` are read when this module is imported (``news-pipeline`` imports it first
thing) and again when the choice is made: their busy time over that span, less this process's own CPU time, is what
the other processes use now, in cores.  ``load()`` is the smaller of that and the load average: a machine busy over
the last minute and still busy keeps its high load (no pool, as before); one whose cores went idle gets a pool.
Only a load average of 1 or more is looked at (below it no choice says no), and a span shorter than ``MIN_SPAN_S``
(a process that imported this module late) is waited out, so a start pays at most 0.2 s for it, and only when the
machine looked busy.  Without ``/proc/stat`` it is the load average alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

MIN_SPAN_S = 0.2  # /proc/stat counts in ticks of 10 ms per core: over 0.2 s that is 20 ticks a core


@dataclass(frozen=True)
class Sample:
    wall_s: float
    busy_s: float  # every core's non-idle time since boot
    own_s: float  # this process's CPU time


def sample() -> Sample | None:
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 8:
        return None
    ticks = [int(x) for x in fields[1:]]
    # user nice system idle iowait irq softirq steal ...: idle and iowait are idle; guest time is counted in user
    busy = sum(ticks[:3]) + sum(ticks[5:8])
    return Sample(time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), time.process_time())


_START = sample()


class Load(float):
    """A load figure that carries how it was made, for the run's one-line explanation."""

    detail: str

    def __new__(cls, value: float, detail: str) -> Load:
        made = super().__new__(cls, value)
        made.detail = detail
        return made


def others_busy(since: Sample | None = None, now: Sample | None = None) -> float | None:
    """Cores used by other processes between ``since`` (this module's import) and ``now``; None when not known."""
    since = since or _START
    now = now or sample()
    if since is None or now is None or now.wall_s - since.wall_s < MIN_SPAN_S:
        return None
    span = now.wall_s - since.wall_s
    return max(0.0, (now.busy_s - since.busy_s) - (now.own_s - since.own_s)) / span


def load() -> float:
    """The load for the stage pool's choice: the 1-minute average, or what other processes use now when less."""
    average = os.getloadavg()[0]
    if average < 1:  # below the lowest threshold the choice uses (cores - 1 of 2 or more): nothing to look at
        return average
    since = _START or sample()
    if since is not None:
        # a span too short to count is waited out (at most MIN_SPAN_S, and only at a busy-looking start)
        time.sleep(max(0.0, since.wall_s + MIN_SPAN_S - time.monotonic()))
    now = others_busy(since)
    if now is None or now >= average:
        return average
    return Load(
        now, f"load {average:.2f} over the last minute, {now:.2f} cores busy with other processes now"
    )
