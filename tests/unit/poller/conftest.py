from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return REPO / "tests" / "fixtures" / "poller"


@pytest.fixture(scope="session")
def corpora() -> Path:
    path = REPO / ".." / "shared" / "corpora" / "feeds"
    assert path.is_dir(), f"shared corpora not found beside the repository at {path}"
    return path
