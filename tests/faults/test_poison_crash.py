"""A record that crashes whatever process enriches it (tests/faults/crash_site: SIGKILL, as a crash in a model's
native code would), in a real drain (``news-pipeline run --enrich-processes <cores>`` on the embedded broker): it is
dead-lettered with its bytes after killing the workers that worked it alone (enrich/isolate.py), the drain exits 0,
and nothing else is lost, doubled or left out of the files.

In: 1,500 generated articles and the crashing one.  Out: the fault suite's invariants (tests/faults/run.py).
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios
from tests.faults.harness import Measurement

ITEMS = 1500
HERE_ITEMS = 300
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def crashed() -> Measurement:
    return scenarios.poison_crash(ITEMS)


def test_the_record_killed_its_workers_and_was_given_up(crashed: Measurement) -> None:
    log = crashed.extra["log"]
    assert "pool failed" in log and "killed 2 workers working it alone" in log, log[-2000:]


def test_the_drain_finishes_and_the_record_is_a_dead_letter(crashed: Measurement) -> None:
    assert crashed.exit_codes == [0, 0], str(crashed)  # the drain itself, then the final drain
    assert crashed.extra["letters"] == [("enrich", "WorkerDied", "news.raw")], crashed.poison_outcomes
    assert crashed.dead_letters == 1 and crashed.dlq_repeats == 0, str(crashed)


def test_every_other_article_once_and_files_equal_topic(crashed: Measurement) -> None:
    assert crashed.lost == 0, str(crashed)
    assert crashed.articles_out == ITEMS, str(crashed)  # every good one, and not the crashing one
    assert crashed.shared_ids == 0 and crashed.split_clusters == 0, str(crashed)
    assert (crashed.files_diff, crashed.leftovers) == (0, 0), str(crashed)


@pytest.fixture(scope="module")
def crashed_here() -> Measurement:
    return scenarios.poison_crash(HERE_ITEMS, here=True)


def test_without_a_pool_the_run_dies_once_and_the_next_isolates_what_it_was_working_on(
    crashed_here: Measurement,
) -> None:
    """No pool: the pipeline process enriches the record itself and dies (nothing can catch SIGKILL); the next
    drain finds the batch it was working in the journal (beam/journal.py), works it in isolated workers and
    dead-letters the record."""
    assert crashed_here.exit_codes == [-9, 0, 0], str(crashed_here)
    assert "worked in isolated workers" in crashed_here.extra["log"], crashed_here.extra["log"][-2000:]
    assert crashed_here.extra["letters"] == [("enrich", "WorkerDied", "news.raw")], (
        crashed_here.poison_outcomes
    )
    assert crashed_here.dead_letters == 1 and crashed_here.dlq_repeats == 0, str(crashed_here)
    assert crashed_here.lost == 0 and crashed_here.articles_out == HERE_ITEMS, str(crashed_here)
    assert crashed_here.shared_ids == 0 and crashed_here.split_clusters == 0, str(crashed_here)
    assert (crashed_here.files_diff, crashed_here.leftovers) == (0, 0), str(crashed_here)
