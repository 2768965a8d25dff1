"""SIGKILL of an enrich pool worker in the middle of a real drain (``news-pipeline run --enrich-processes 1``, and one
of two with ``2``, on the embedded broker): the pipeline process works the rest itself and nothing is lost, doubled
or left out of the files.

In: 1,500 generated articles.  Out: the fault suite's invariants (tests/faults/run.py defines each count).
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios
from tests.faults.harness import Measurement

ITEMS = 1500
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module", params=[1, 2], ids=["one-worker", "one-of-two-workers"])
def worker_killed(request: pytest.FixtureRequest) -> Measurement:
    return scenarios.kill_worker(ITEMS, workers=request.param)


def test_the_worker_was_killed_while_articles_were_still_to_come(worker_killed: Measurement) -> None:
    assert worker_killed.extra["killed"] >= 1, str(worker_killed)
    assert "pool failed" in worker_killed.extra["log"], worker_killed.extra["log"][-2000:]


def test_the_drain_finishes_and_loses_no_article(worker_killed: Measurement) -> None:
    assert worker_killed.exit_codes == [0, 0], str(worker_killed)  # the drain itself, then the final drain
    assert worker_killed.items_in == ITEMS
    assert worker_killed.lost == 0, str(worker_killed)


def test_no_article_twice_and_files_equal_topic(worker_killed: Measurement) -> None:
    assert worker_killed.articles_out == ITEMS
    assert worker_killed.shared_ids == 0 and worker_killed.split_clusters == 0, str(worker_killed)
    assert (worker_killed.files_diff, worker_killed.leftovers) == (0, 0), str(worker_killed)
    assert worker_killed.dead_letters == 0, str(worker_killed)
