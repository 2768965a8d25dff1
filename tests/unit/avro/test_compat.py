"""Schema evolution in CI: the current schemas are FULL_TRANSITIVE compatible with schemas/history/, and the
check fails on deliberately breaking changes (fixtures in tests/fixtures/avro/breaking/, never in schemas/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.avro.compat import check_all, check_full_transitive, minimal_record, sample_records
from pipeline.avro.schemas import NAMES, _load, history, schema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "avro"


def fixture_schema(path: Path) -> object:
    name = path.name.split(".")[0]
    return _load(name, "candidate", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_every_schema_has_released_history(name: str) -> None:
    versions = [h.version for h in history(name)]
    assert versions and versions[0] == "v1", f"schemas/history/{name}.v1.avsc is missing"


def test_current_schemas_are_full_transitive_compatible_with_history() -> None:
    assert check_all() == {name: [] for name in NAMES}


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "breaking").glob("*.avsc")), ids=lambda p: p.name.removesuffix(".avsc")
)
def test_a_breaking_change_fails_the_check(path: Path) -> None:
    candidate = fixture_schema(path)
    problems = check_full_transitive(candidate, (*history(candidate.name), schema(candidate.name)))
    assert problems, f"{path.name} should be reported as incompatible"


def test_a_nullable_field_with_default_is_a_compatible_change() -> None:
    candidate = fixture_schema(FIXTURES / "raw_entry.compatible_v2.avsc")
    assert check_full_transitive(candidate, history("raw_entry")) == []


@pytest.mark.parametrize("name", NAMES)
def test_samples_cover_minimal_and_random_records(name: str) -> None:
    records = sample_records(schema(name), n=5)
    assert records[0] == minimal_record(schema(name).parsed) and len(records) == 6
    # seeded through the random module (fastavro draws uuids from os.urandom, so those vary)
    assert [sorted(r) for r in sample_records(schema(name), n=5)] == [sorted(r) for r in records]
