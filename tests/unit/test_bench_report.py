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
