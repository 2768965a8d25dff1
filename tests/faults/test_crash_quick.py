"""The quick subset of the fault suite (``make test``): one SIGKILL in steady state and the poison scenario.

In: 300 generated articles per scenario on a fresh embedded broker, the real ``news-pipeline run`` in
subprocesses.  Out: assertions on the measured invariants (tests/faults/run.py defines each count).  Each
scenario runs once per module; every invariant is its own test so a report shows which ones break.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios
from tests.faults.harness import Measurement

ITEMS = 300
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def steady_kill() -> Measurement:
    return scenarios.crash_stream("steady", ITEMS)


@pytest.fixture(scope="module")
def poisoned() -> Measurement:
    return scenarios.poison(ITEMS)


def test_steady_kill_loses_no_article(steady_kill: Measurement) -> None:
    assert steady_kill.items_in == ITEMS
    assert steady_kill.lost == 0, str(steady_kill)


def test_steady_kill_no_id_shared_by_two_articles(steady_kill: Measurement) -> None:
    assert steady_kill.articles_out > 0
    assert steady_kill.shared_ids == 0, str(steady_kill)
    assert steady_kill.split_clusters == 0, str(steady_kill)  # a replayed record keeps its cluster


def test_steady_kill_files_equal_topic(steady_kill: Measurement) -> None:
    assert steady_kill.extra["topic_records"] > 0
    assert (steady_kill.files_diff, steady_kill.leftovers) == (0, 0), str(steady_kill)


def test_steady_kill_processes_exit_as_expected(steady_kill: Measurement) -> None:
    # SIGKILLed stream, SIGTERM-stopped restart, final drain
    assert steady_kill.exit_codes == [-9, 0, 0], str(steady_kill)


def test_poison_good_articles_all_out(poisoned: Measurement) -> None:
    assert poisoned.lost == 0, str(poisoned)


def test_poison_each_record_one_dead_letter_or_a_clean_article(poisoned: Measurement) -> None:
    """Undecodable records: exactly one dead letter each.  Decodable ones (4 MB summary, control characters) may
    instead come out capped and cleaned; either way each is accounted for exactly once."""
    letters, out = poisoned.poison_letters, poisoned.poison_out
    assert len(letters) == 4
    assert letters["random bytes"] == letters["truncated avro"] == 1, poisoned.poison_outcomes
    for label in ("4 MB summary", "control chars"):
        assert (letters[label], out[label]) in ((1, False), (0, True)), poisoned.poison_outcomes
    assert poisoned.dlq_repeats == 0


def test_poison_files_equal_topic(poisoned: Measurement) -> None:
    assert poisoned.shared_ids == 0, str(poisoned)
    assert (poisoned.files_diff, poisoned.leftovers) == (0, 0), str(poisoned)


def test_poison_drains_exit_0(poisoned: Measurement) -> None:
    assert poisoned.exit_codes == [0, 0], str(poisoned)
