"""One outlet's template text (a consent notice both pages carry) is not evidence that two of its stories are one event."""

from __future__ import annotations

import pickle

from pipeline.transforms.cluster.link import SAME_OUTLET, score
from pipeline.transforms.cluster.signals import Signature, signature
from pipeline.transforms.cluster.template import RUN, shared_runs
from tests.unit.cluster.records import DEATHS, NOTICE, TRADE

FLOOD_A = (
    "Flooding along the Danube forced thousands from their homes in Passau and Regensburg on Monday as the river "
    "kept rising; Bavarian authorities opened emergency shelters."
)
FLOOD_B = (
    "Thousands of residents of Passau and Regensburg spent the night in emergency shelters after the Danube burst "
    "its banks, Bavarian officials said on Monday."
)


def _sig(item: str, headline: str, body: str, outlet: str | None = "sputnik.example"):
    return signature(item, item, headline, body, "en", None, outlet=outlet)


def test_shared_runs_are_the_codes_of_windows_both_sequences_hold() -> None:
    a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert shared_runs(a, [0, *a[1:9], 99]) == set(a[1:9])  # one run of 8
    assert shared_runs(a, [0, *a[1:8], 99, *a[8:]]) == set()  # the longest shared run is 7
    assert shared_runs(a[: RUN - 1], a) == set()  # too short to hold a run
    assert shared_runs(list(range(RUN)), list(range(RUN))) == set(range(RUN))


def test_two_stories_of_one_outlet_with_its_consent_notice_are_not_one_event() -> None:
    a, b = _sig("a", TRADE, NOTICE), _sig("b", DEATHS, NOTICE)
    plain = len(set(a.terms) & set(b.terms)) / len(set(a.terms) | set(b.terms))
    assert plain >= SAME_OUTLET  # without the template rule the notice alone would link them
    assert score(a, b) == 0.0


def test_one_event_from_one_outlet_still_links_with_the_notice_on_both_pages() -> None:
    a, b = (
        _sig("a", "Danube floods Passau", f"{FLOOD_A} {NOTICE}"),
        _sig("b", "Passau evacuated", f"{FLOOD_B} {NOTICE}"),
    )
    assert score(a, b) >= SAME_OUTLET


def test_the_notice_counts_between_outlets_as_before() -> None:
    """Only one outlet's pages are read as its template: two outlets printing the same words is a shared source."""
    a, b = _sig("a", TRADE, NOTICE, outlet="one.example"), _sig("b", DEATHS, NOTICE, outlet="two.example")
    assert score(a, b) > 0.0


def test_a_signature_pickled_before_the_sequence_existed_still_scores() -> None:
    """Keyed state (PickleCoder) written by the previous version holds Signatures without ``sequence``."""
    a, b = _sig("a", TRADE, NOTICE), _sig("b", DEATHS, NOTICE)
    state = {k: v for k, v in a.__dict__.items() if k != "sequence"}
    old = object.__new__(Signature)
    object.__setattr__(old, "__dict__", state)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.sequence == ()
    assert (
        score(b, restored) == score(restored, b) > 0.0
    )  # no template to find: the Jaccard as before the rule
