"""Shared fixtures for the enrich tests: paths, the seed dispatch, and one Enricher per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.model import Author, Dateline, Dispatch
from pipeline.transforms.enrich import Enricher
from pipeline.transforms.enrich.stage import shared_enricher

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "enrich"
SHARED = REPO_ROOT / ".." / "shared"
CORPORA = SHARED / "corpora"


def seed_dispatch() -> Dispatch:
    """The seed sample as the normalize stage hands it over (see seed_expected.json for what is stripped)."""
    spec = json.loads((FIXTURES / "seed_expected.json").read_text(encoding="utf-8"))
    raw = (REPO_ROOT / spec["source"]).read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in raw.split("\n\n") if p.strip()][1:]  # drop the header + byline line
    paragraphs[0] = paragraphs[0].split(" - ", 1)[1]  # drop the "KYIV (Reuters) - " dateline
    d = spec["dispatch"]
    return Dispatch(
        id="seed",
        uri=None,
        guid=None,
        headline=d["headline"],
        body="\n\n".join(paragraphs),
        feed_url="https://example.invalid/seed",
        dateline=Dateline(**d["dateline"]),
        authors=tuple(Author(a) for a in d["authors"]),
        agency="Reuters",
        language_hint="fr",
    )


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    return shared_enricher(("fr", "en"))


@pytest.fixture(scope="session")
def seed_expected() -> dict:
    return json.loads((FIXTURES / "seed_expected.json").read_text(encoding="utf-8"))["expected"]
