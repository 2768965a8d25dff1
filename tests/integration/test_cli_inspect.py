"""`news-pipeline inspect` on local files: the seed as plain text, a feed with a re-fed duplicate, order kept."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tests.conftest import DEMO_FEEDS, SEED


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["inspect", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_inspect_seed_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    [record] = _run(capsys, str(SEED))
    assert record["language"] == "fr"
    assert record["dateline"] == {
        "city": "KYIV",
        "city_normalized": "Kyiv",
        "date": None,
        "agency": "Reuters",
    }
    assert [a["name"] for a in record["authors"]] == ["Valentyn Origienko", "Tom Balmforth"]
    assert record["body"].startswith("Le président russe")
    assert record["published_precision"] == "month"  # from the header line "date 2022-12"
    people = {e["text"] for e in record["entities"] if e["type"] == "PERSON"}
    assert {"Vladimir Poutine", "Volodimir Zelensky", "Alexandre Loukachenko"} <= people
    assert not people & {"Valentyn Origienko", "Tom Balmforth"}  # bylines are authors, not story entities


def test_inspect_feed_shows_suppressed_duplicates_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    records = _run(capsys, str(DEMO_FEEDS / "wire-en.xml"), "--show-duplicates", "--no-ner")
    assert [r.get("suppressed", False) for r in records] == [False, True]
    assert records[1]["duplicate_of"] == records[0]["id"]
    assert records[0]["uri"] == "https://wire.example.com/world/2022/12/14/central-bank-holds-rates"


def test_kafka_commands_without_a_broker_say_what_to_do(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no recorded embedded broker here
    with pytest.raises(SystemExit) as exc:
        main(["consume"])
    assert exc.value.code == 2
    assert "--bootstrap-servers" in capsys.readouterr().err
