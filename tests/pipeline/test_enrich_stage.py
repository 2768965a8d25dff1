"""EnrichDispatches on the FnApiRunner (named explicitly): enriched records out, timestamps and windows kept,
a non-Dispatch element to ``failures``, counters per item / language / failure."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window

from pipeline.beam.failures import FAILURES
from pipeline.model import Dispatch, EnrichedDispatch, Failure
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.stage import shared_enricher
from tests.unit.enrich.conftest import seed_dispatch

LANGUAGES = ("fr", "en")


@pytest.fixture(scope="module")
def loaded():
    return shared_enricher(
        LANGUAGES
    )  # the DoFn's setup() gets this same instance (process-wide Shared handle)


def _inputs() -> list:
    seed = seed_dispatch()
    en = Dispatch(
        id="en",
        uri=None,
        guid=None,
        headline="Putin visits Belarus",
        body="Russian President Vladimir Putin travelled to Minsk on Monday to meet Alexander Lukashenko, "
        "the Kremlin said, amid fears in Kyiv of a new offensive from the north.",
        feed_url="f",
    )
    return [(seed, 10), (en, 70), ("not a dispatch", 20)] + [
        (seed.replace(id=f"s{i}"), 100 + i) for i in range(5)
    ]


def _summary(e: EnrichedDispatch, ts=beam.DoFn.TimestampParam, w=beam.DoFn.WindowParam):
    yield (e.dispatch.id, e.enrichment.language, e.enrichment.countries[:1], int(ts), int(w.start))


def test_enrich_dispatches_on_fn_api_runner(loaded) -> None:
    p = beam.Pipeline(runner=FnApiRunner())
    items = (
        p
        | "Create" >> beam.Create(_inputs())
        | "Stamp" >> beam.Map(lambda kv: window.TimestampedValue(kv[0], kv[1]))
        | "Window" >> beam.WindowInto(window.FixedWindows(60))
    )
    out = items | "EnrichDispatches" >> EnrichDispatches(languages=LANGUAGES, batch_size=3)
    summary = out.main | "Summary" >> beam.ParDo(_summary)
    expected = [("seed", "fr", ("UA",), 10, 0), ("en", "en", ("BY",), 70, 60)] + [
        (f"s{i}", "fr", ("UA",), 100 + i, 60) for i in range(5)
    ]
    assert_that(summary, equal_to(expected), label="EnrichedKeepTimestampsAndWindows")
    fails = out[FAILURES] | "FailureShape" >> beam.Map(lambda f: (type(f) is Failure, f.stage, f.error_type))
    assert_that(fails, equal_to([(True, "enrich", "TypeError")]), label="NonDispatchIsAFailure")
    result = p.run()
    result.wait_until_finish()

    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}
    assert counters["items"] == 7
    assert counters["language_fr"] == 6 and counters["language_en"] == 1
    assert counters["failures"] == 1


def test_step_labels_are_fixed() -> None:
    p = beam.Pipeline(runner=FnApiRunner())
    _ = p | beam.Create([]) | "EnrichDispatches" >> EnrichDispatches(languages=LANGUAGES)
    labels = {t.full_label for t in p.transforms_stack[0].parts} | {
        part.full_label for t in p.transforms_stack[0].parts for part in t.parts
    }
    assert "EnrichDispatches/EnrichBatches" in labels


def test_shared_enricher_loads_once_per_setting(loaded) -> None:
    """Alternating settings in one process must not reload the models (a single ``Shared`` rebuilds on a new tag)."""
    no_ner = shared_enricher(("fr",), ner=False)
    assert no_ner is not loaded and no_ner.ner is False
    assert shared_enricher(LANGUAGES) is loaded
    assert shared_enricher(("fr",), ner=False) is no_ner
