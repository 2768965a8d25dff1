"""EnrichDispatches with a worker pool on the FnApiRunner: the workers' enrichments equal the in-process ones, and
batches really went to the pool (its counter), with timestamps kept."""

from __future__ import annotations

import os
from concurrent.futures import wait
from dataclasses import replace
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window

from pipeline.beam.failures import to_jsonable
from pipeline.beam.pooled import _split
from pipeline.model import EnrichedDispatch
from pipeline.transforms.cluster import signals
from pipeline.transforms.enrich import EnrichDispatches
from pipeline.transforms.enrich.pool import (
    MIN_POOL_BACKLOG,
    MIN_POOL_BACKLOG_NER,
    describe,
    drop_pool,
    pool_choice,
    shared_pool,
    usable_cores,
)
from pipeline.transforms.enrich.stage import auto_processes, shared_enricher
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


@pytest.mark.parametrize("ner", [False, True])
def test_ner_pool_workers_import_spacy_while_they_wait_for_their_first_batch(ner: bool) -> None:
    """Models load with their language's first batch, spaCy itself (~1.5 s) at the worker's start-up, so the first
    batch does not wait for it; a NER-off worker never imports it (the probe can see it missing)."""
    from pipeline.transforms.enrich.pool import EnrichPool
    from tests import probe

    pool = EnrichPool(1, None, ner)
    try:
        done, not_done = wait(pool._warm, timeout=300)
        assert not not_done and all(f.exception() is None for f in done)
        got = pool.submit_each(probe.imported, ["spacy", "pipeline.transforms.enrich.pool"]).result(
            timeout=300
        )
        assert got == [ner, True]
    finally:
        pool.shutdown()


def test_pool_workers_send_the_cluster_signature_the_cluster_stage_would_compute(monkeypatch) -> None:
    items = [seed_dispatch().replace(id=f"c{i}", headline=f"Poutine en Biélorussie ({i})") for i in range(3)]
    pool = shared_pool(1, LANGUAGES, True)
    done, not_done = wait(pool._warm, timeout=300)
    assert not not_done
    got = pool.submit(items).result(timeout=300)
    for d, e in zip(items, got, strict=True):
        assert isinstance(e.cluster_signature, signals.Signature), e
        here = signals.of_enriched(EnrichedDispatch(d, replace(e, cluster_signature=None)))  # computed here
        assert e.cluster_signature == here
    # the cluster stage takes the worker's signature instead of tokenizing the text again ...
    # (every way a signature tokenizes: the compiled tables, their entries, and the Python fallback's tokens)
    for name in ("token_packed", "token_entries", "tokens"):
        monkeypatch.setattr(signals, name, lambda *a: pytest.fail("tokenized again in the pipeline process"))
    assert signals.of_enriched(EnrichedDispatch(items[0], got[0])) == got[0].cluster_signature
    # ... only for its own record, and a dead letter never carries it
    with pytest.raises(pytest.fail.Exception):
        signals.of_enriched(EnrichedDispatch(items[1], got[0]))
    assert "cluster_signature" not in to_jsonable(got[0])


def test_a_pool_with_a_worker_per_core_does_all_the_enriching() -> None:
    """processes == cores: every batch goes to the workers (none enriched in the pipeline process), in order, each
    batch shared out between them."""
    cores = usable_cores()
    items = [seed_dispatch().replace(id=f"d{i}", headline=f"Poutine à Minsk ({i})") for i in range(7)]
    local = shared_enricher(LANGUAGES).enrich_batch(items)
    p = beam.Pipeline(runner=FnApiRunner())
    out = (
        p
        | beam.Create([(d, 200 + i) for i, d in enumerate(items)])
        | beam.Map(lambda kv: window.TimestampedValue(kv[0], kv[1]))
        | "EnrichDispatches" >> EnrichDispatches(languages=LANGUAGES, batch_size=3, processes=cores)
    )
    got = out.main | beam.ParDo(
        lambda e, ts=beam.DoFn.TimestampParam: [(e.dispatch.id, e.enrichment, int(ts))]
    )
    assert_that(
        got, equal_to([(d.id, e, 200 + i) for i, (d, e) in enumerate(zip(items, local, strict=True))])
    )
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}
    (sizes,) = [d.committed for d in result.metrics().query(MetricsFilter())["distributions"]]
    assert counters["items"] == len(items)
    # every flushed batch went to the pool, split into up to `cores` parts
    assert counters["batches_in_pool"] >= sizes.count
    assert counters.get("pool_failures", 0) == 0
    # before the first batch, every other worker got a throw-away copy of its first item (its NER model loads now)
    warm = shared_pool(cores, LANGUAGES, True)._warm_language
    assert len(warm) == cores - 1
    assert all(f.result(timeout=300)[0] == local[0] for f in warm)


def test_split_keeps_order_and_sizes_near_equal() -> None:
    batch = list(range(7))
    assert _split(batch, 2) == [[0, 1, 2, 3], [4, 5, 6]]
    assert _split(batch, 1) == [batch]
    assert _split([1], 4) == [[1]]
    assert [x for part in _split(batch, 3) for x in part] == batch


def test_auto_processes_by_runner_ner_and_load() -> None:
    cores = usable_cores()
    local = beam.Pipeline(runner=FnApiRunner())
    if cores >= 2:
        assert auto_processes(local, ner=True, load=lambda: 0.0) == cores
        assert auto_processes(local, ner=False, load=lambda: 0.0) == cores - 1
    assert auto_processes(local, ner=True, load=lambda: float(cores)) == 0  # the other cores are busy
    two = beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions(["--direct_num_workers=2"]))
    assert auto_processes(two, ner=True, load=lambda: 0.0) == 0


def test_the_pool_choice_says_what_it_was_made_of() -> None:
    """``news-pipeline run`` prints the choice and its reason (the run's speed depends on them)."""
    cores = usable_cores()
    busy_n, busy = pool_choice(True, load=lambda: cores + 0.25, backlog=lambda: 10**6)
    assert busy_n == 0 and (f"load {cores + 0.25:.2f}" in busy or cores < 2)
    if cores >= 2:
        small_n, small = pool_choice(False, load=lambda: 0.25, backlog=lambda: MIN_POOL_BACKLOG - 1)
        assert small_n == 0 and f"{MIN_POOL_BACKLOG - 1:,} records" in small
        big_n, big = pool_choice(False, load=lambda: 0.25, backlog=lambda: 12_345)
        assert big_n == cores - 1 and "load 0.25" in big and "12,345 records" in big
        assert describe(big_n, big).endswith(f"beside the pipeline process ({big})")
    assert describe(0, busy) == f"stage pool: none, the pipeline process works alone ({busy})"


def test_a_small_drain_gets_no_pool_and_the_backlog_is_asked_only_when_a_pool_would_start() -> None:
    cores = usable_cores()
    local = beam.Pipeline(runner=FnApiRunner())
    asked: list[int] = []

    def backlog(n: int | None):
        def ask() -> int | None:
            asked.append(1)
            return n

        return ask

    if cores >= 2:
        assert auto_processes(local, ner=True, load=lambda: 0.0, backlog=backlog(3)) == 0
        assert (
            auto_processes(local, ner=True, load=lambda: 0.0, backlog=backlog(MIN_POOL_BACKLOG_NER)) == cores
        )
        assert auto_processes(local, ner=False, load=lambda: 0.0, backlog=backlog(MIN_POOL_BACKLOG - 1)) == 0
        assert (
            auto_processes(local, ner=False, load=lambda: 0.0, backlog=backlog(MIN_POOL_BACKLOG)) == cores - 1
        )
        assert auto_processes(local, ner=True, load=lambda: 0.0, backlog=backlog(None)) == cores  # unknown
        assert len(asked) == 5
    asked.clear()
    assert auto_processes(local, ner=True, load=lambda: float(cores), backlog=backlog(10**6)) == 0
    assert asked == []  # no pool anyway: the broker is not asked


@pytest.mark.parametrize("dedicated", [True, False])
def test_a_worker_killed_mid_bundle_loses_nothing_the_batches_are_enriched_here(dedicated: bool) -> None:
    """SIGKILL of a pool worker between batches: the batches in flight and the ones after it are enriched in the
    pipeline process (which loads its own Enricher only then when the workers had every core), nothing is lost or
    doubled, and the bundle still finishes; the next bundle starts a fresh pool."""
    import os
    import signal

    from apache_beam.transforms.window import GlobalWindow
    from apache_beam.utils.timestamp import Timestamp

    from pipeline.transforms.enrich.stage import EnrichDoFn

    cores = usable_cores()
    items = [seed_dispatch().replace(id=f"k{i}", headline=f"Poutine à Minsk, heure {i}") for i in range(9)]
    fn = EnrichDoFn(LANGUAGES, ner=False, batch_size=2, processes=cores if dedicated else max(1, cores - 1))
    fn.setup()
    assert fn.dedicated == dedicated or cores < 2
    assert (fn.enricher is None) == fn.dedicated  # a pool with every core: no Enricher here until needed
    fn.start_bundle()
    pool = fn.pool
    done, not_done = wait(pool._warm, timeout=300)
    assert not not_done
    out = []
    for d in items[:3]:
        out += fn.process(d, timestamp=Timestamp(0), window=GlobalWindow())
    victim = next(iter(pool._executor._processes.values()))
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=60)
    for d in items[3:]:
        out += fn.process(d, timestamp=Timestamp(0), window=GlobalWindow())
    out += fn.finish_bundle()
    got = sorted((wv.value for wv in out), key=lambda e: int(e.dispatch.id[1:]))
    assert [e.dispatch.id for e in got] == [d.id for d in items]
    assert [e.enrichment for e in got] == shared_enricher(LANGUAGES, False).enrich_batch(items)
    assert fn.enricher is not None  # loaded when the pool broke
    fn.start_bundle()  # a fresh pool for the next bundle
    assert fn.pool is not None and fn.pool is not pool
    drop_pool(fn.pool)
    fn.pool.shutdown()


CRASH_SITE = Path(__file__).resolve().parents[1] / "faults" / "crash_site"


@pytest.mark.parametrize("dedicated", [True, False])
def test_an_item_that_kills_every_worker_that_works_it_is_a_failure_and_the_rest_are_enriched(
    dedicated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One dispatch SIGKILLs whichever spawned process enriches it (tests/faults/crash_site: as a native crash
    would).  Its batch's worker dies and breaks the pool; the batches the pool held are worked again item by item
    in fresh workers (enrich/isolate.py): that dispatch kills two of them and comes out as a ``WorkerDied`` failure
    with its bytes, every other dispatch comes out enriched, once.  (Before, the held batches were enriched in the
    pipeline process, here pytest's, where the poison does not fire: it came out enriched.)"""
    from apache_beam.transforms.window import GlobalWindow
    from apache_beam.utils.timestamp import Timestamp

    from pipeline.model import Failure
    from pipeline.transforms.enrich.stage import EnrichDoFn

    monkeypatch.setenv("NEWS_TEST_CRASH_ON", "ZZPOISON")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(CRASH_SITE), os.environ.get("PYTHONPATH", "")]))
    cores = usable_cores()
    items = [seed_dispatch().replace(id=f"k{i}", headline=f"Poutine à Minsk, heure {i}") for i in range(8)]
    items[3] = items[3].replace(headline="Poutine à Minsk ZZPOISON")
    processes = cores if dedicated else max(1, cores - 1)
    stale = shared_pool(processes, LANGUAGES, False)  # an earlier test's workers, spawned without the poison
    drop_pool(stale)
    stale.shutdown()
    fn = EnrichDoFn(LANGUAGES, ner=False, batch_size=4, processes=processes)
    fn.setup()
    fn.start_bundle()
    pool = fn.pool
    assert pool is not stale
    assert not wait(pool._warm, timeout=300).not_done
    out = []
    for d in items:
        out += fn.process(d, timestamp=Timestamp(0), window=GlobalWindow())
    out += fn.finish_bundle()
    failures = [o.value.value for o in out if isinstance(o, beam.pvalue.TaggedOutput)]
    enriched = [o.value for o in out if not isinstance(o, beam.pvalue.TaggedOutput)]
    assert all(isinstance(f, Failure) for f in failures)
    assert [f.error_type for f in failures] == ["WorkerDied"]
    assert "ZZPOISON" in failures[0].original.decode()
    assert sorted(e.dispatch.id for e in enriched) == sorted(d.id for i, d in enumerate(items) if i != 3)
    expected = shared_enricher(LANGUAGES, False).enrich_batch([d for i, d in enumerate(items) if i != 3])
    assert [e.enrichment for e in sorted(enriched, key=lambda e: int(e.dispatch.id[1:]))] == expected
    fn.start_bundle()  # a fresh pool for the next bundle
    assert fn.pool is not None and fn.pool is not pool
    drop_pool(fn.pool)
    fn.pool.shutdown()
