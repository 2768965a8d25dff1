"""NormalizeDispatches on the local runner: the same Dispatch as the pure core, ingest metadata from the Kafka
record, failures on the tagged output with their source coordinates, and a fixed inner step label."""

from __future__ import annotations

import html

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline import __version__
from pipeline.beam.failures import FAILURES
from pipeline.model import IngestMeta, KafkaRecord, RawEntry
from pipeline.transforms.normalize import NormalizeDispatches, normalize_entry
from tests.support import Clock
from tests.unit.normalize.tables import SEED

NOW_S = 1_671_451_200.0  # 2022-12-19T12:00:00Z


def seed_entry(i: int) -> RawEntry:
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return RawEntry(
        feed_url="https://www.example.com/fr/rss/world.xml",
        entry_key=f"seed-{i}",
        content_hash=str(i),
        link=f"https://www.example.com/fr/article/{i}?utm_source=rss",
        title=f"Poutine en Biélorussie ({i})",
        content="".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        content_type="text/html",
        feed_language="fr",
        fetched_at_ms=1_671_451_100_000 + i,
    )


def record(offset: int) -> KafkaRecord:
    return KafkaRecord(
        topic="raw", partition=2, offset=offset, key=b"k", value=b"raw-bytes-%d" % offset, timestamp_ms=0
    )


def broken_entry() -> RawEntry:
    # a decoder bug upstream could hand over a non-string title: the stage must dead-letter it, not crash
    return RawEntry(feed_url="https://www.example.com/feed", entry_key="bad", content_hash="x", title=12345)  # type: ignore[arg-type]


def _by_the_core(elements: list[tuple[KafkaRecord, RawEntry]]) -> list:
    """What the pure core makes of ``elements`` at NOW_S, with the records' coordinates as ingest metadata."""
    return [
        normalize_entry(
            raw,
            now_ms=int(NOW_S * 1000),
            pipeline_version=__version__,
            ingest=IngestMeta("raw", 2, rec.offset, raw.fetched_at_ms, int(NOW_S * 1000), __version__),
        )
        for rec, raw in elements
    ]


def test_stage_output_equals_the_pure_core_with_ingest_metadata() -> None:
    elements = [(record(i), seed_entry(i)) for i in range(3)]
    expected = _by_the_core(elements)
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(elements) | "NormalizeDispatches" >> NormalizeDispatches(clock=Clock(NOW_S))
        assert_that(out["main"], equal_to(expected), label="Dispatches")
        assert_that(out[FAILURES], equal_to([]), label="NoFailures")
    assert all(d.authors[0].name == "Valentyn Origienko" and d.dateline.city == "KYIV" for d in expected)


def test_failures_are_tagged_with_their_source_and_counted() -> None:
    elements = [(record(7), seed_entry(7)), (record(8), broken_entry())]
    p = TestPipeline(runner="FnApiRunner")
    out = p | beam.Create(elements) | "NormalizeDispatches" >> NormalizeDispatches(clock=Clock(NOW_S))
    assert_that(out["main"] | "Keys" >> beam.Map(lambda d: d.entry_key), equal_to(["seed-7"]), label="Good")
    assert_that(
        out[FAILURES]
        | "Coordinates"
        >> beam.Map(
            lambda f: (f.stage, f.error_type, f.source_topic, f.source_partition, f.source_offset, f.original)
        ),
        equal_to([("normalize", "TypeError", "raw", 2, 8, b"raw-bytes-8")]),
        label="Failures",
    )
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}
    assert counters.get("ok") == 1 and counters.get("failed_TypeError") == 1


def test_output_types_and_fixed_step_label() -> None:
    p = beam.Pipeline()
    out = p | beam.Create([(record(1), seed_entry(1))]) | "NormalizeDispatches" >> NormalizeDispatches()
    assert out["main"].element_type.__name__ == "Dispatch"
    assert out[FAILURES].element_type.__name__ == "Failure"
    labels = set()
    p.visit(_LabelCollector(labels))
    assert "NormalizeDispatches/Normalize" in labels


class _LabelCollector(beam.pipeline.PipelineVisitor):
    def __init__(self, labels: set[str]):
        self.labels = labels

    def visit_transform(self, node) -> None:
        self.labels.add(node.full_label)

    def enter_composite_transform(self, node) -> None:
        self.labels.add(node.full_label)


def test_entries_normalized_in_the_stage_pool_equal_the_pure_core() -> None:
    """With a stage pool of fewer workers than cores (the NER-off path), batches of entries are normalized in its
    worker: the same Dispatches, ingest metadata from the pipeline process's clock, and a failure keeps its type,
    coordinates and bytes."""
    from concurrent.futures import wait

    from pipeline.transforms.dedup.near import near_sketch
    from pipeline.transforms.enrich.pool import shared_pool, usable_cores

    assert usable_cores() >= 2, "the stage pool runs beside the pipeline process: this needs two cores"
    key = (1, None, False)
    _, starting = wait(
        shared_pool(*key)._warm, timeout=300
    )  # the worker is up: batches go to it from the first
    assert not starting
    elements = [(record(i), seed_entry(i)) for i in range(20)]
    elements.insert(9, (record(99), broken_entry()))
    expected = _by_the_core([(rec, raw) for rec, raw in elements if rec.offset != 99])
    p = TestPipeline(runner="FnApiRunner")
    out = (
        p
        | beam.Create(elements)
        | "NormalizeDispatches" >> NormalizeDispatches(clock=Clock(NOW_S), pool=key, batch_size=4)
    )
    assert_that(out["main"], equal_to(expected), label="Dispatches")
    # a worker also sketched the bodies it normalized, for dedup (dedup/near.py); here-normalized ones carry none
    sketched = out["main"] | beam.Map(
        lambda d: None if d.near_sketch is None else d.near_sketch == near_sketch(d.body)
    )
    assert_that(sketched | beam.combiners.ToList(), _some_sketched_all_right, label="Sketches")
    assert_that(
        out[FAILURES] | beam.Map(lambda f: (f.error_type, f.source_offset, f.original)),
        equal_to([("TypeError", 99, b"raw-bytes-99")]),
        label="Failures",
    )
    result = p.run()
    result.wait_until_finish()
    counters = {
        (c.key.metric.namespace, c.key.metric.name): c.committed
        for c in result.metrics().query(MetricsFilter())["counters"]
    }
    assert counters.get(("normalize", "batches_in_pool"), 0) >= 1
    assert counters[("normalize", "ok")] == 20
    assert counters.get(("normalize", "pool_failures"), 0) == 0


def _some_sketched_all_right(got: list[list[bool | None]]) -> None:
    (flags,) = got
    assert True in flags and False not in flags, flags


def test_a_pool_with_a_worker_per_core_is_left_to_enrich() -> None:
    """With NER the stage pool has a worker per core (all busy enriching): normalize stays in the pipeline process,
    one entry at a time (nothing waits for a batch); with fewer workers it batches for the pool."""
    from pipeline.transforms.enrich.pool import usable_cores
    from pipeline.transforms.normalize.stage import NormalizeFn

    cores = usable_cores()
    fn = NormalizeFn(Clock(NOW_S), (cores, None, True), batch_size=32)
    fn.setup()
    assert (fn.pool_key, fn.batch_size) == (None, 1)
    fn = NormalizeFn(Clock(NOW_S), (cores - 1, None, False), batch_size=32)
    fn.setup()
    assert (fn.pool_key, fn.batch_size) == ((cores - 1, None, False), 32)
