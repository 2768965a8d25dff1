"""The benchmark report counts each throughput row over the entries its run had, also for runs written before the
bench recorded how many NER entries there were (those divided the entries they had by a larger --ner-items)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_old_ner_row_over_more_items_than_the_run_had_is_counted_again(report) -> None:
    old = {
        "meta": {"items": 500, "command": "bench_throughput.py --items 500 --ner-items 600"},
        "runs": [
            {
                "name": "pipeline after NER on, 2 enrich workers",
                "items": 600,
                "wall_s": 13.15,
                "items_per_s": 45.6,
            },
            {
                "name": "pipeline after NER off, 1 enrich worker",
                "items": 500,
                "wall_s": 2.52,
                "items_per_s": 198.5,
            },
            {"name": "nlp.pipe one core", "items": 500, "items_per_s": 31.7},
        ],
    }
    rows = report._counted(old)["runs"]
    assert rows[0]["items"] == 500 and round(rows[0]["items_per_s"], 1) == round(500 / 13.15, 1)
    assert rows[1]["items_per_s"] == 198.5 and rows[2]["items_per_s"] == 31.7  # right as they were


def test_a_run_that_records_its_ner_items_is_taken_as_written(report) -> None:
    new = {
        "meta": {"items": 500, "ner_items": 600},
        "runs": [
            {
                "name": "pipeline after NER on, 2 enrich workers",
                "items": 600,
                "wall_s": 12.0,
                "items_per_s": 50.0,
            }
        ],
    }
    assert report._counted(new)["runs"][0]["items_per_s"] == 50.0


def _row(name: str, rate: float, steady: float | None = None) -> dict:
    return {"name": name, "items": 4000, "items_per_s": rate} | (
        {"steady_items_per_s": steady} if steady else {}
    )


def test_drain_goals_judge_each_repetition_with_workers_against_the_same_runs_references(report) -> None:
    run = {
        "runs": [
            _row("loop NER off", 400.0),
            _row("nlp.pipe two processes", 80.0),
            _row(
                "pipeline after NER off, 0 enrich workers", 1000.0
            ),  # one core: not the goal's configuration
            _row("pipeline before NER off, 1 enrich worker", 1000.0),  # the baseline tree: not judged
            _row("pipeline after NER off, 1 enrich worker", 600.0, 700.0),
            _row("pipeline after NER off, 1 enrich worker", 596.0, 650.0),
            _row("pipeline after NER on, 2 enrich workers", 68.0),
        ]
    }
    ratio, rate, ner = report.drain_goals(run)
    assert "| 1.50x, 1.49x (steady 1.75x, 1.62x) | met in 1 of 2 runs |" in ratio
    assert "| 600.0/s, 596.0/s | met in 1 of 2 runs |" in rate
    assert "| 0.85x (steady -) | met |" in ner
    assert report.drain_goals(None) == ["| drain NER off, end to end | >= 600 items/s | - | not measured |"]


def _stream(time: str, *runs: tuple[bool, float, int, float, float, int]) -> dict:
    keys = ("ner", "rate", "partitions", "p50_s", "p99_s", "received")
    return {"meta": {"time": time}, "runs": [dict(zip(keys, r, strict=True)) | {"sent": 300} for r in runs]}


def test_stream_goals_take_each_cases_latest_measurement_and_compare_partitions_within_one_run(
    report,
) -> None:
    older = _stream("t1", (False, 10.0, 4, 0.9, 1.0, 300), (True, 10.0, 1, 0.50, 0.6, 300))
    newer = _stream(
        "t2",
        (False, 10.0, 4, 0.2, 0.4, 300),
        (False, 10.0, 1, 0.35, 0.5, 300),
        (True, 10.0, 4, 0.3, 0.5, 299),
    )
    off, on, independent = report.stream_goals([older, newer])
    assert off.endswith("| p50 0.20 / p99 0.40 s, 300/300 out (t2) | met |")  # t1's 0.9 s replaced
    assert on.endswith("| p50 0.30 / p99 0.50 s, 299/300 out (t2) | not met |")  # a record missing
    # NER off: 0.35 vs 0.20 s in t2 (0.15 s apart); NER on's 1 and 4 partitions come from different runs: no pair
    assert independent.endswith("| NER off 10/s: 0.35 vs 0.20 s | not met |")
    assert report.stream_goals([])[-1].endswith("| - | not measured |")


def test_a_bracketed_run_is_judged_against_the_mean_of_its_own_references(report) -> None:
    bracketed = _row("pipeline after NER on, 2 enrich workers", 68.0, 72.0) | {
        "reference_before": 90.0,
        "reference_after": 70.0,
    }
    run = {
        "runs": [
            _row("loop NER off", 400.0),
            _row("nlp.pipe two processes", 100.0),  # measured minutes earlier, on a faster host
            bracketed,
            # not bracketed: judged against the run's single reference
            _row("pipeline after NER on, 2 enrich workers", 68.0),
        ]
    }
    ner = report.drain_goals(run)[-1]
    assert "| 0.85x, 0.68x (steady 0.90x; references 90.0 / 70.0/s) | met in 1 of 2 runs |" in ner


def test_repeated_partition_counts_in_one_stream_run_are_compared_by_their_means(report) -> None:
    # the order 1,4,4,1: each count once first and once second
    run = _stream(
        "t3",
        (False, 200.0, 1, 0.70, 1.3, 6000),
        (False, 200.0, 4, 1.10, 2.5, 6000),
        (False, 200.0, 4, 0.80, 1.7, 6000),
        (False, 200.0, 1, 2.50, 3.5, 6000),
    )
    independent = report.stream_goals([run])[-1]
    # 1 partition (0.70 + 2.50) / 2 = 1.60 against 4 partitions (1.10 + 0.80) / 2 = 0.95: 0.65 s apart
    assert independent.endswith("| NER off 200/s: 1.60 vs 0.95 s (means of 2) | not met |")


def test_every_repeat_of_a_case_in_its_latest_stream_run_is_judged(report) -> None:
    run = _stream(
        "t4",
        (False, 10.0, 4, 0.20, 0.4, 300),
        (False, 10.0, 1, 0.20, 0.4, 300),
        (False, 10.0, 4, 0.60, 0.9, 300),  # the second 4-partition run misses p50 < 0.5 s
    )
    off = report.stream_goals([run])[0]
    assert off.endswith(
        "| p50 0.20 / p99 0.40 s, 300/300 out (t4), p50 0.60 / p99 0.90 s, 300/300 out (t4) | met in 1 of 2 runs |"
    )
