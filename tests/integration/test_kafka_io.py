"""The Kafka source (pipeline/io/kafka/) on the real tansu broker: drain and stream reads, committed-offset resume, stop rules, new records and
new partitions while streaming, backlog (end offset - position) and watermarks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.io.restriction_trackers import OffsetRange
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.runners.sdf_utils import RestrictionTrackerView, ThreadsafeRestrictionTracker
from apache_beam.utils.timestamp import Timestamp

from pipeline.bus.client import ensure_topics, make_producer
from pipeline.io.kafka import partitions as kafka_partitions
from pipeline.io.kafka import source
from pipeline.io.kafka.source import ReadFromKafkaPy
from pipeline.io.kafka.specs import MAX_OFFSET, STOP, PartitionSpec, ReadConfig, WatchSpec
from pipeline.settings import KafkaSettings

pytestmark = pytest.mark.integration


class _Collect(beam.DoFn):
    """Append ``partition offset value`` lines to a file: works for bounded and unbounded input alike."""

    def __init__(self, path: str):
        self.path = path

    def process(self, r):
        with open(self.path, "a") as out:
            out.write(f"{r.partition} {r.offset} {r.value.decode()}\n")


def _seen(path: Path) -> list[tuple[int, int, str]]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        p, o, v = line.split(" ", 2)
        rows.append((int(p), int(o), v))
    return rows


def _run(cfg: ReadConfig, topic: str, out: Path) -> str:
    options = PipelineOptions(["--streaming"] if cfg.mode == "stream" else [])
    p = beam.Pipeline(runner=FnApiRunner(), options=options)
    _ = p | "Read" >> ReadFromKafkaPy(cfg, [topic]) | "Collect" >> beam.ParDo(_Collect(str(out)))
    return str(p.run().wait_until_finish())


def _produce(kafka: KafkaSettings, topic: str, values: list[str], partitions: int = 1, one_per_batch=False):
    producer = make_producer(kafka)
    try:
        for i, v in enumerate(values):
            fut = producer.send(topic, value=v.encode(), partition=i % partitions)
            if one_per_batch:
                fut.get(timeout=10)  # one record per batch: tansu's end offset is exact then
        producer.flush()
    finally:
        producer.close()


def _wait(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def _clear_stop():
    STOP.clear()
    yield
    STOP.clear()


def test_drain_reads_every_record_over_many_chunks_and_partitions_then_resumes_after_commit(
    kafka, topics, tmp_path
):
    ensure_topics(kafka, [topics.raw], partitions=3)
    values = [f"r{i}" for i in range(3000)]
    _produce(kafka, topics.raw, values, partitions=3)
    cfg = ReadConfig(kafka, "g-drain", mode="drain", max_records_per_chunk=200)

    first = tmp_path / "first.txt"
    assert _run(cfg, topics.raw, first).endswith("DONE")
    rows = _seen(first)
    assert sorted(v for _, _, v in rows) == sorted(values)
    assert {p for p, _, _ in rows} == {0, 1, 2}
    for part in range(3):  # each partition read in offset order, no gaps
        offsets = [o for p, o, _ in rows if p == part]
        assert offsets == list(range(len(offsets)))

    second = tmp_path / "second.txt"
    assert _run(cfg, topics.raw, second).endswith("DONE")
    assert _seen(second) == []


def test_drain_ends_on_the_fetched_high_watermark_not_an_idle_poll(kafka, topics, tmp_path):
    """With a poll timeout of an hour, only the fetched high watermark can end the drain (an idle poll would block for
    the hour); batched partitions (tansu's short listed end) must still be read to their last record.  The pipeline
    runs in a thread, waited for with a deadline."""
    import threading

    ensure_topics(kafka, [topics.raw], partitions=3)
    values = [f"r{i}" for i in range(3000)]
    _produce(kafka, topics.raw, values, partitions=3)
    cfg = ReadConfig(kafka, "g-hw", mode="drain", max_records_per_chunk=400, poll_timeout_ms=3_600_000)
    out, states = tmp_path / "out.txt", []
    runner = threading.Thread(target=lambda: states.append(_run(cfg, topics.raw, out)), daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "the drain waited on an idle poll"
    assert states and states[0].endswith("DONE")
    assert sorted(v for _, _, v in _seen(out)) == sorted(values)


def test_stream_stops_after_idle_timeout(kafka, topics, tmp_path):
    ensure_topics(kafka, [topics.raw])
    _produce(kafka, topics.raw, ["a", "b"])
    cfg = ReadConfig(kafka, "g-idle", mode="stream", idle_stop_s=1.5, discovery_interval_s=0.5)
    out = tmp_path / "out.txt"
    assert _run(cfg, topics.raw, out).endswith("DONE")
    assert sorted(v for _, _, v in _seen(out)) == ["a", "b"]


def test_stream_picks_up_a_record_produced_while_running_and_stops_on_flag(kafka, topics, tmp_path):
    ensure_topics(kafka, [topics.raw])
    _produce(kafka, topics.raw, ["before"])
    cfg = ReadConfig(kafka, "g-stream", mode="stream")
    out = tmp_path / "out.txt"
    result: dict[str, str] = {}
    runner = threading.Thread(
        target=lambda: result.setdefault("state", _run(cfg, topics.raw, out)), daemon=True
    )
    runner.start()
    try:
        _wait(lambda: any(v == "before" for _, _, v in _seen(out)))
        _produce(kafka, topics.raw, ["while-streaming"])
        _wait(lambda: any(v == "while-streaming" for _, _, v in _seen(out)))
    finally:
        STOP.set()
        runner.join(timeout=60)
    assert not runner.is_alive()
    assert result["state"].endswith("DONE")
    assert sorted(v for _, _, v in _seen(out)) == ["before", "while-streaming"]


def test_watcher_emits_only_partitions_beyond_the_discovered_ones_then_defers(kafka, topics):
    # tansu has no CreatePartitions, so "added later" is a 3-partition topic watched from known=1.
    ensure_topics(kafka, [topics.raw], partitions=3)
    _produce(kafka, topics.raw, ["x", "y", "z"], partitions=3)
    cfg = ReadConfig(kafka, "g-watch", mode="stream", discovery_interval_s=0.2)
    fn = kafka_partitions.WatchNewPartitions(cfg)
    fn.setup()
    try:
        tracker = ThreadsafeRestrictionTracker(
            kafka_partitions._PartitionIds().create_tracker(OffsetRange(1, MAX_OFFSET))
        )
        found = list(fn.process(WatchSpec(topics.raw, known=1), RestrictionTrackerView(tracker)))
        assert found == [PartitionSpec(topics.raw, 1, 0), PartitionSpec(topics.raw, 2, 0)]
        deferred = tracker.deferred_status()  # what the runner reschedules after the discovery interval
        assert deferred is not None
        residual = deferred[0]
        assert residual.start == 3  # a restart resumes after the last partition handed out
        again = ThreadsafeRestrictionTracker(kafka_partitions._PartitionIds().create_tracker(residual))
        assert list(fn.process(WatchSpec(topics.raw, known=1), RestrictionTrackerView(again))) == []
    finally:
        fn.teardown()


def test_pipeline_graph_has_the_watcher_only_where_stages_run_side_by_side(kafka):
    labels = {}
    for watch in (False, True):
        p = beam.Pipeline(runner=FnApiRunner(), options=PipelineOptions(["--streaming"]))
        _ = p | "Read" >> ReadFromKafkaPy(
            ReadConfig(kafka, "g", mode="stream", watch_partitions=watch), ["t"]
        )
        labels[watch] = {t.full_label for t in p.transforms_stack[0].parts[0].parts}
    assert "Read/WatchPartitions" not in labels[False]
    assert {"Read/WatchPartitions", "Read/ReadNewPartitions", "Read/MergePartitions"} <= labels[True]


class _Finalizer:
    def __init__(self):
        self.callbacks = []

    def register(self, fn):
        self.callbacks.append(fn)


def test_backlog_is_end_offset_minus_position_and_watermark_follows_records(kafka, topics):
    ensure_topics(kafka, [topics.raw])
    _produce(kafka, topics.raw, [f"v{i}" for i in range(10)], one_per_batch=True)
    wall = 2_000_000_000.0
    cfg = ReadConfig(kafka, "g-backlog", mode="stream", max_records_per_chunk=4, idle_watermark_lag_s=10.0)
    fn = source._ReadUnboundedPartition(cfg, wall_clock=lambda: wall)
    fn.setup()
    try:
        spec = PartitionSpec(topics.raw, 0, 0)
        assert fn.restriction_size(spec, OffsetRange(3, MAX_OFFSET)) == 10 - 3

        tracker = ThreadsafeRestrictionTracker(fn.create_tracker(OffsetRange(0, MAX_OFFSET)))
        estimator = ManualWatermarkEstimator(None)
        records = list(fn._read(spec, RestrictionTrackerView(tracker), _Finalizer(), estimator))
        assert [r.value.offset for r in records] == [0, 1, 2, 3]
        progress = tracker.current_progress()
        assert (progress.completed_work, progress.remaining_work) == (4, 10 - 4)
        assert estimator.current_watermark() == max(r.timestamp for r in records)

        caught_up = ThreadsafeRestrictionTracker(fn.create_tracker(OffsetRange(10, MAX_OFFSET)))
        assert list(fn._read(spec, RestrictionTrackerView(caught_up), _Finalizer(), estimator)) == []
        assert caught_up.current_progress().remaining_work == 0
        assert estimator.current_watermark() == Timestamp.of(wall - 10.0)  # idle partition advanced
    finally:
        fn.teardown()


def test_a_live_partition_ends_its_chunk_after_live_chunk_s_not_max_chunk_s(kafka, topics):
    """Records that keep coming (one every 20 ms) never leave a poll empty, so "caught up" alone would hold the chunk
    (and the bundle's output and commit) open for max_chunk_s; at the head of the log it ends after live_chunk_s."""
    ensure_topics(kafka, [topics.raw])
    stop = threading.Event()

    def keep_producing() -> None:
        producer = make_producer(kafka, linger_ms=0)
        try:
            deadline = time.monotonic() + 120.0
            while not stop.is_set() and time.monotonic() < deadline:
                producer.send(topics.raw, value=b"live", partition=0).get(timeout=10)
                stop.wait(0.02)
        finally:
            producer.close()

    feeder = threading.Thread(target=keep_producing, daemon=True)
    feeder.start()
    cfg = ReadConfig(kafka, "g-live", mode="stream", max_chunk_s=60.0, live_chunk_s=0.2)
    fn = source._ReadUnboundedPartition(cfg)
    fn.setup()
    try:
        _wait(lambda: fn.restriction_size(PartitionSpec(topics.raw, 0, 0), OffsetRange(0, MAX_OFFSET)) >= 5)
        tracker = ThreadsafeRestrictionTracker(fn.create_tracker(OffsetRange(0, MAX_OFFSET)))
        started = time.monotonic()
        records = list(
            fn._read(
                PartitionSpec(topics.raw, 0, 0),
                RestrictionTrackerView(tracker),
                _Finalizer(),
                ManualWatermarkEstimator(None),
            )
        )
        took = time.monotonic() - started
    finally:
        stop.set()
        feeder.join(timeout=30)
        fn.teardown()
    assert records and [r.value.offset for r in records] == list(range(len(records)))
    assert took < 20.0, f"the chunk stayed open {took:.1f} s (max_chunk_s 60, live_chunk_s 0.2)"
    print(f"\nlive chunk: {len(records)} records in {took:.2f} s")
