"""SIGKILL of the file sink process beside a real drain (``news-pipeline run``, embedded broker): a new sink takes
over, the drain exits 0 and its files equal the topic before any further run.

In: 1,500 generated articles, files rolled every 100 records.  Out: the fault suite's invariants (tests/faults/run.py).
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios
from tests.faults.harness import Measurement

ITEMS = 1500
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def sink_killed() -> Measurement:
    return scenarios.kill_file_sink(ITEMS)


def test_the_sink_was_killed_and_started_again(sink_killed: Measurement) -> None:
    assert sink_killed.extra["killed"] == 1, str(sink_killed)
    assert "starting a new one" in sink_killed.extra["log"], sink_killed.extra["log"][-2000:]


def test_the_drain_exits_0_with_files_equal_to_the_topic(sink_killed: Measurement) -> None:
    assert sink_killed.exit_codes == [0, 0], str(sink_killed)  # the drain, then the final drain
    assert sink_killed.extra["files_diff_before_final"] == 0, str(sink_killed)


def test_no_article_lost_or_twice(sink_killed: Measurement) -> None:
    assert sink_killed.lost == 0 and sink_killed.articles_out == ITEMS, str(sink_killed)
    assert sink_killed.shared_ids == 0, str(sink_killed)
    assert (sink_killed.files_diff, sink_killed.leftovers) == (0, 0), str(sink_killed)
