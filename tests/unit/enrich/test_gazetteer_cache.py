"""The gazetteer's cache file: built once, then read back (no rebuild) with the same index; a corrupt file is rebuilt,
a file of an older key removed, and ``off`` writes nothing."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from pipeline.transforms.enrich import cache
from pipeline.transforms.enrich.gazetteer import Gazetteer

NAMES = ("Kyiv", "Kiev", "Moscou", "Springfield", "Biélorussie", "Minsk", "San José")


def _lookups(g: Gazetteer) -> dict:
    return {n: (g.cities(n), g.country(n), g.is_known_place(n, 15_000)) for n in NAMES}


def test_built_once_then_read_back_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    (tmp_path / "gazetteer-0000older0000key0000.marshal").write_bytes(b"stale")
    built = Gazetteer.load()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("gazetteer-"), files  # the older key's file is gone

    def no_build() -> Gazetteer:
        raise AssertionError("rebuilt although the cache file is there")

    with monkeypatch.context() as m:
        m.setattr(Gazetteer, "build", classmethod(lambda cls: no_build()))
        read = Gazetteer.load()
    assert read.to_plain() == built.to_plain()
    assert _lookups(read) == _lookups(built)
    assert read.cities("Kyiv")[0].country == "UA" and read.country("Biélorussie").country == "BY"
    # read back, a city's record is made at its first lookup: the same record for every name it has, and the index
    # written again is the same with some records made and the others still as read
    assert read.cities("Kyiv")[0] is read.cities("Kiev")[0]
    assert read.to_plain() == built.to_plain()

    (tmp_path / files[0]).write_bytes(b"\x00 not marshal")  # a torn or foreign file
    again = Gazetteer.load()
    assert _lookups(again) == _lookups(built)
    rewritten = marshal.loads((tmp_path / files[0]).read_bytes())
    assert Gazetteer.from_plain(rewritten).to_plain() == built.to_plain()


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() is None
    assert cache.cached("probe", "k", lambda: {"a": (1, 2)}) == {"a": (1, 2)}
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory_only_costs_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))
    calls = []
    assert cache.cached("probe", "k", lambda: calls.append(1) or [1]) == [1]
    assert cache.cached("probe", "k", lambda: calls.append(1) or [1]) == [1]
    assert calls == [1, 1]
