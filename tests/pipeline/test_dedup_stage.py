"""DeduplicateStories on the local runner: the same decisions as the pure functions, through keyed state."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.transforms.dedup import DUPLICATES, DeduplicateStories
from tests.support import Clock, dispatch
from tests.unit.dedup.labeled import apply, load_cases


def test_stage_emits_one_record_per_story_version_and_audits_the_rest() -> None:
    items = [
        dispatch("https://a/x", "Para 1"),
        dispatch("https://b/republished", "Para 1"),  # same text elsewhere
        dispatch("https://c/other", "Another story"),
    ]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(items) | DeduplicateStories(horizon_s=3600, clock=Clock())
        assert_that(
            out["main"] | "Versions" >> beam.Map(lambda d: (d.uri, d.version)),
            one_copy_of_the_shared_text_and_the_other_story(),
            label="MainOutput",
        )
        assert_that(
            out[DUPLICATES] | "MergeReasons" >> beam.Flatten() | "Reasons" >> beam.Map(lambda n: n.reason),
            equal_to(["content_hash"]),
            label="Duplicates",
        )


def one_copy_of_the_shared_text_and_the_other_story():  # which copy wins depends on arrival order
    def check(actual):
        actual = sorted(actual)
        assert ("https://c/other", 1) in actual and len(actual) == 2, actual
        assert {"https://a/x", "https://b/republished"} & {u for u, _ in actual}

    return check


def test_near_duplicates_across_outlets_go_to_the_audit_output_with_their_story() -> None:
    """Order-independent: whichever copy arrives first is emitted, the other is a near_duplicate of its story."""
    cases = {c["case"]: c for c in load_cases()}
    retitled = next(
        c for c in cases.values() if c["group"] == "synthetic-retitled" and c["a"]["src"] == "seed"
    )
    negative = next(c for c in cases.values() if c["group"] == "negative-seed-topic")
    items = [
        apply(retitled["a"], retitled["case"]),
        apply(retitled["b"], retitled["case"]),
        apply(negative["b"], negative["case"]),
    ]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(items) | DeduplicateStories(horizon_s=3600, clock=Clock())
        assert_that(
            out["main"] | "Count" >> beam.combiners.Count.Globally(), equal_to([2]), label="TwoStories"
        )
        assert_that(
            out[DUPLICATES]
            | "MergeWhy" >> beam.Flatten()
            | "Why" >> beam.Map(lambda n: (n.reason, n.similarity >= 0.6, n.story_id != "")),
            equal_to([("near_duplicate", True, True)]),
            label="OneNearDuplicate",
        )
