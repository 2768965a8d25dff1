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
    if not path.is_dir():
        pytest.skip("shared corpora not found beside the repository")
    return path
