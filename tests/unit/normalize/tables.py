"""Fixture tables for the normalize tests: tab-separated files under tests/fixtures/normalize, '#' lines are comments.

In: a file name.  Out: rows as tuples of strings, an empty cell read as None.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "normalize"
CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"
SEED = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "dispatch-fr-reuters-2022-12.txt"

# 2022-12-19T12:00:00Z: the Monday of the seed dispatch
NOW_MS = 1_671_451_200_000


def rows(name: str, width: int) -> list[tuple[str | None, ...]]:
    out = []
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        cells += [""] * (width - len(cells))
        out.append(tuple(c if c != "" else None for c in cells[:width]))
    return out


def lines(name: str) -> list[str]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def entries() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path in sorted((FIXTURES / "entries").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append((path.stem, data["raw"], data["expect"]))
    return out
