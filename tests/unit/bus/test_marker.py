"""broker.json: reading, atomic writing, and telling a live broker from a dead one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.bus.marker import MarkerState, classify, read_marker, write_marker

GOOD = {"bootstrap_servers": "127.0.0.1:9092", "pid": 4242, "storage": "s3"}


@pytest.mark.parametrize(
    ("info", "pid_alive", "serving", "expected"),
    [
        (None, True, True, MarkerState.ABSENT),
        (GOOD, True, True, MarkerState.LIVE),
        (GOOD, False, True, MarkerState.STALE),  # owner gone (SIGKILL): take over
        (GOOD, True, False, MarkerState.STALE),  # pid recycled by another process, port silent
        ({}, True, True, MarkerState.STALE),  # unreadable marker
        ({"bootstrap_servers": "127.0.0.1:9092", "pid": "4242"}, True, True, MarkerState.STALE),
        ({"pid": 4242}, True, True, MarkerState.STALE),
    ],
)
def test_classify(info, pid_alive, serving, expected):
    seen: list[int] = []

    def alive(pid: int) -> bool:
        seen.append(pid)
        return pid_alive

    assert classify(info, pid_alive=alive, is_live=lambda _: serving) is expected
    if expected is MarkerState.LIVE:
        assert seen == [4242]


def test_write_then_read_round_trips_and_leaves_no_temp_file(tmp_path: Path):
    path = tmp_path / "state" / "broker.json"
    write_marker(path, GOOD)
    assert read_marker(path) == GOOD
    assert [p.name for p in path.parent.iterdir()] == ["broker.json"]


@pytest.mark.parametrize(("text", "expected"), [("not json", {}), ("[1, 2]", {}), ('{"pid": 1}', {"pid": 1})])
def test_read_marker_tolerates_garbage(tmp_path: Path, text: str, expected: dict):
    path = tmp_path / "broker.json"
    path.write_text(text)
    assert read_marker(path) == expected


def test_read_marker_absent(tmp_path: Path):
    assert read_marker(tmp_path / "broker.json") is None
