"""Small test helpers shared across test levels (factories, controllable clocks, a TTL timer that reports)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import apache_beam as beam
from fastavro import schemaless_writer

from pipeline.avro import codec
from pipeline.avro.schemas import history
from pipeline.model import Dispatch
from pipeline.transforms.dedup.stateful import KeyedDedupTtlFn


def dispatch(
    uri: str | None, body: str, headline: str = "Poutine en Biélorussie", guid: str | None = None
) -> Dispatch:
    return Dispatch(
        id="provisional",
        uri=uri,
        guid=guid,
        headline=headline,
        body=body,
        feed_url="http://127.0.0.1/feed.xml",
        content_hash=hashlib.sha256(f"{headline}\n{body}".encode()).hexdigest(),
    )


class Clock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class SharedClock:
    """A fake clock that every copy of itself in this process reads: runners pickle DoFns (and the clock inside), so
    the time lives in a class-level table keyed by name, in this importable module (a test module's globals can be
    imported twice under pytest's importlib mode, and a copy would never see the test move the time)."""

    _now: ClassVar[dict[str, float]] = {}

    def __init__(self, name: str, t: float = 0.0):
        self.name = name
        SharedClock._now[name] = t

    def __call__(self) -> float:
        return SharedClock._now[self.name]

    def set(self, t: float) -> None:
        SharedClock._now[self.name] = t


class TickClock(beam.DoFn):
    """``(time, element)`` -> ``element``, after setting ``clock`` to ``time``: the input drives the fake clock, so it
    moves in step with the elements a runner processes (a test cannot reach into a running pipeline)."""

    def __init__(self, clock: SharedClock):
        self.clock = clock

    def process(self, timed: tuple[float, Any]) -> Iterator[Any]:
        t, element = timed
        self.clock.set(t)
        yield element


class RecordedTtlFn(KeyedDedupTtlFn):
    """``KeyedDedupTtlFn`` whose ``expired`` counter also writes down each state the timer cleared, as ``(stage, clock
    time)`` in ``CLEARED[run]``.  The ``dedup/<stage>_expired`` metric alone cannot be read on the BundleBasedDirectRunner
    (the one local runner with TestStream): it commits a step's user metrics only for the first bundle each of its
    worker threads runs (its StateSampler caches the scoped state, and with it that bundle's metrics container), so
    the counts of later bundles, timer firings included, are lost.  A class-level table, in this importable module,
    for the pickling reason given on ``SharedClock``."""

    CLEARED: ClassVar[dict[str, list[tuple[str, float]]]] = {}

    def __init__(self, run: str, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        RecordedTtlFn.CLEARED.setdefault(run, [])
        self.expired = _RecordingCounter(self.expired, run, self.stage, self.clock)


class _RecordingCounter:
    def __init__(self, counter: Any, run: str, stage: str, clock: Any):
        self.counter, self.run, self.stage, self.clock = counter, run, stage, clock

    def inc(self, n: int = 1) -> None:
        self.counter.inc(n)
        RecordedTtlFn.CLEARED[self.run].extend([(self.stage, self.clock())] * n)


def json_child(code: str, *argv: str, timeout_s: float = 300, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter from the repository root (what a fresh process imports and sets is the
    point of the tests that use it), with ``env`` over this process's environment; its last stdout line, as JSON.
    A failed child fails the test with its stderr."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, **env} if env else None,
        timeout=timeout_s,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def older_item(data: bytes) -> bytes:
    """The same record written with the oldest released news_item schema."""
    old = history("news_item")[0]
    record = codec.decode("news_item", data)
    buf = io.BytesIO()
    buf.write(codec.SINGLE_OBJECT_MAGIC + old.fingerprint)
    schemaless_writer(buf, old.parsed, record)
    return buf.getvalue()


def dump_stacks(pid: int) -> str:
    """Every thread's Python stack in ``pid`` and its children (py-spy, in the dev extra), so that a process a test
    must kill at its deadline says where it hung (the fault harness, the consumer example's test)."""
    spy = Path(sys.executable).parent / "py-spy"
    try:
        out = subprocess.run(
            [str(spy), "dump", "--subprocesses", "--pid", str(pid)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(no stacks: {exc})"
    return out.stdout + out.stderr
