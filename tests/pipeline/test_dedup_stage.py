"""DeduplicateStories on the local runner: the same decisions as the pure functions, through keyed state."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.transforms.dedup import DUPLICATES, DeduplicateStories
from tests.support import Clock, dispatch


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
            out[DUPLICATES] | "Reasons" >> beam.Map(lambda n: n.reason),
            equal_to(["content_hash"]),
            label="Duplicates",
        )


def one_copy_of_the_shared_text_and_the_other_story():  # which copy wins depends on arrival order
    def check(actual):
        actual = sorted(actual)
        assert ("https://c/other", 1) in actual and len(actual) == 2, actual
        assert {"https://a/x", "https://b/republished"} & {u for u, _ in actual}

    return check
