"""EnrichDispatches with a worker pool on the FnApiRunner: the workers' enrichments equal the in-process ones, and
batches really went to the pool (its counter), with timestamps kept."""

from __future__ import annotations

from concurrent.futures import wait

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window

from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.pool import shared_pool
from pipeline.transforms.enrich.stage import shared_enricher
from tests.unit.enrich.conftest import seed_dispatch

LANGUAGES = ("fr", "en")


def test_pool_workers_enrich_like_the_pipeline_process() -> None:
    items = [seed_dispatch().replace(id=f"s{i}", headline=f"Poutine en Biélorussie ({i})") for i in range(6)]
    local = shared_enricher(LANGUAGES).enrich_batch(items)
    pool = shared_pool(1, LANGUAGES, True)
    done, not_done = wait(pool._warm, timeout=300)  # workers load their models first
    assert not not_done
    assert pool.ready()
    assert pool.submit(items).result(timeout=300) == local

    p = beam.Pipeline(runner=FnApiRunner())
    out = (
        p
        | beam.Create([(d, 100 + i) for i, d in enumerate(items)])
        | beam.Map(lambda kv: window.TimestampedValue(kv[0], kv[1]))
        | "EnrichDispatches" >> EnrichDispatches(languages=LANGUAGES, batch_size=2, processes=1)
    )
    got = out.main | beam.ParDo(
        lambda e, ts=beam.DoFn.TimestampParam: [(e.dispatch.id, e.enrichment, int(ts))]
    )
    expected = [(d.id, e, 100 + i) for i, (d, e) in enumerate(zip(items, local, strict=True))]
    assert_that(got, equal_to(expected))
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}
    assert counters.get("batches_in_pool", 0) >= 1
    assert counters["items"] == len(items)
