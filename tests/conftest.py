"""Shared fixtures: repository paths, the real tansu broker (one per session), unique topics per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.bus.broker import EmbeddedBroker
from pipeline.settings import KafkaSettings, TopicSettings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
SEED = SHARED / "samples" / "dispatch-fr-reuters-2022-12.txt"
FIXTURES = REPO / "tests" / "fixtures"
DEMO_FEEDS = REPO / "pipeline" / "data" / "demo_feeds"


@pytest.fixture(scope="session")
def corpora() -> Path:
    assert CORPORA.is_dir(), f"../shared/corpora not found beside the repository at {CORPORA}"
    return CORPORA


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """The real tansu broker on a free loopback port, in-memory storage (durable storage produces ~3.7x slower and
    starts ~4 s later; tests/faults/test_broker_restart.py covers it), for the whole test session."""
    state = tmp_path_factory.mktemp("broker")
    with EmbeddedBroker(state_dir=state, log=state / "tansu.log", storage="memory") as broker:
        yield broker


@pytest.fixture(scope="session")
def kafka(kafka_broker: EmbeddedBroker) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=kafka_broker.bootstrap_servers)


@pytest.fixture
def topics() -> TopicSettings:
    """Fresh topic names for one test, so tests never see each other's records."""
    tag = uuid.uuid4().hex[:8]
    return TopicSettings(
        raw=f"raw-{tag}", output=f"items-{tag}", dead_letter=f"dlq-{tag}", audit=f"audit-{tag}"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the extraction rates the normalize tests record (``record_property("rate: ...", value)``) after the
    run.  Here, not beside those tests: under pytest-xdist only the top conftest runs in the controlling process."""
    lines = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name.startswith("rate: "):
                lines.append(f"{name[6:]}: {value}")
    if lines:
        terminalreporter.write_sep("-", "normalize extraction rates")
        for line in lines:
            terminalreporter.write_line(line)
