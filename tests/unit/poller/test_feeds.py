from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.poller.feeds import (
    FeedListError,
    FeedSpec,
    dump_yaml,
    export_opml,
    import_opml,
    load_yaml,
    parse_duration,
)


def test_yaml_feed_list(fixtures: Path):
    specs = load_yaml((fixtures / "feeds.yaml").read_text())
    assert specs[0] == FeedSpec("https://www.lemonde.fr/rss/une.xml")
    assert specs[1] == FeedSpec("https://wire.example/world.xml", "Reuters World", 300.0, "Wires")
    assert specs[2].interval_s == 3600
    assert load_yaml(dump_yaml(specs)) == specs


@pytest.mark.parametrize(
    "bad",
    [
        "feeds: [ftp://x/y]",
        "feeds: [{title: no url}]",
        "feeds: [{url: 'http://a/', x: 1}]",
        "feeds: [{url: 'http://a/', interval: soon}]",
        "feeds: {url: 'http://a/'}",
    ],
)
def test_yaml_rejects_bad_entries(bad: str):
    with pytest.raises(FeedListError):
        load_yaml(bad)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90.0), ("30s", 30.0), ("15m", 900.0), ("2h", 7200.0), ("1d", 86400.0), (None, None)],
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


def test_opml_import_export_round_trip(fixtures: Path):
    specs = import_opml((fixtures / "subscriptions.opml").read_bytes())
    assert [s.url for s in specs] == [
        "https://wire.example/world.xml",
        "https://afp.example/rss",
        "https://www.lemonde.fr/rss/une.xml",
    ]  # bad scheme dropped, duplicate once
    assert specs[0].category == "Wires" and specs[0].title == "Reuters World" and specs[2].category is None
    again = import_opml(export_opml(specs))
    assert [(s.url, s.title, s.category) for s in again] == [(s.url, s.title, s.category) for s in specs]


def test_opml_with_entity_bomb_is_refused(fixtures: Path):
    with pytest.raises(FeedListError):
        import_opml((fixtures / "billion_laughs.xml").read_bytes())
