"""``KeyedDedupTtlFn``'s TTL timer on a real Beam pipeline, with a fake clock: a key's state is cleared once the horizon
has passed since the key was last seen, and not before.

``TestStream`` drives the runner's processing time (the timers' clock) and ``TickClock`` the dedup's injected clock,
from the elements, so both move together.  The BundleBasedDirectRunner runs TestStream, fires processing-time timers
by its test clock and only hands the next event over once the pipeline is idle, so the order below is the order of
execution.  The stage is ``DeduplicateStories`` with TTL timers, its keyed steps built from ``RecordedTtlFn`` (the
real DoFn; its ``expired`` counter also writes down what the timer cleared, because that runner loses the ``<stage>_expired`` counts, see
tests/support.py).  Assertions are on what comes out: emitted records, duplicate notices, cleared states.
"""

from __future__ import annotations

import functools
import threading
import uuid

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.runners.runner import PipelineResult
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to

from pipeline.model import Dispatch
from pipeline.transforms.dedup import DUPLICATES, DeduplicateStories
from tests.support import RecordedTtlFn, SharedClock, TickClock, dispatch

HORIZON_S = 100
A = dispatch("http://127.0.0.1/a", "Premier paragraphe de A.\n\nSecond paragraphe de A.", headline="A")
B = dispatch("http://127.0.0.1/b", "Un tout autre texte pour B.\n\nAvec deux paragraphes.", headline="B")


def _run(advance_s: float) -> list[tuple[str, float]]:
    """Processing time 1000: A.  1050: A again (within the horizon), then B stamped 1200 (the dedup clock passes A's
    horizon).  Then processing time advances by ``advance_s``, then A stamped 1210.  Returns the cleared states."""
    run = uuid.uuid4().hex
    clock = SharedClock(f"ttl-{run}")
    events = (
        test_stream.TestStream()
        .advance_watermark_to(0)
        .advance_processing_time(1000)
        .add_elements([(1000.0, A)])
        .advance_processing_time(50)
        .add_elements([(1050.0, A)])
        .add_elements([(1200.0, B)])
        .advance_processing_time(advance_s)
        .add_elements([(1210.0, A)])
        .advance_watermark_to_infinity()
    )
    p = beam.Pipeline(runner=BundleBasedDirectRunner(), options=PipelineOptions(["--streaming"]))
    dedup = DeduplicateStories(horizon_s=HORIZON_S, clock=clock, ttl_timers=True, near=False)
    dedup.fn = functools.partial(RecordedTtlFn, run)
    out = p | events | beam.ParDo(TickClock(clock)).with_output_types(Dispatch) | dedup
    emitted = out["main"] | "Emitted" >> beam.Map(lambda d: (d.headline, d.version))
    notices = (
        out[DUPLICATES] | "AllNotices" >> beam.Flatten() | beam.Map(lambda n: (n.dispatch.headline, n.reason))
    )
    # Within the horizon A is a duplicate; after it A is a first sighting again (version 1), whatever cleared it.
    assert_that(emitted, equal_to([("A", 1), ("B", 1), ("A", 1)]), label="CheckEmitted")
    assert_that(notices, equal_to([("A", "unchanged_refeed")]), label="CheckNotices")
    _finish(p.run())
    return sorted(RecordedTtlFn.CLEARED.pop(run))


def _finish(result: PipelineResult, deadline_s: float = 30.0) -> None:
    """Wait for the pipeline with a deadline: a timer re-armed at a time already past fires forever (livelock)."""
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            result.wait_until_finish()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(deadline_s)
    if waiter.is_alive():
        result.cancel()
        pytest.fail(f"the pipeline did not finish within {deadline_s:.0f} s")
    if errors:
        raise errors[0]


def test_the_timer_clears_state_once_the_horizon_has_passed() -> None:
    """Processing time reaches 1200: A's timers are due (1150 in the identity step, re-set by the second sighting at
    1050; 1100 in the content step, which never saw that duplicate), the dedup clock says 1200, so each step clears
    A's state, at 1200.  B's timers (1300) are not due."""
    assert _run(advance_s=150) == [("content", 1200.0), ("identity", 1200.0)]


def test_no_state_is_cleared_before_its_timer_is_due() -> None:
    """Processing time stops at 1090, before any timer is due: the same records come out (lazy expiry at read makes
    the last A new), and nothing was cleared."""
    assert _run(advance_s=40) == []
