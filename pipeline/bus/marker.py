"""``broker.json``: which embedded broker owns a state directory, and whether it is still there.

In: the marker file (or its parsed dict).  Out: ABSENT, STALE (its process is gone or no longer serving) or LIVE.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class MarkerState(enum.Enum):
    ABSENT = "absent"
    STALE = "stale"
    LIVE = "live"


def read_marker(path: Path) -> dict[str, Any] | None:
    """The parsed marker, ``{}`` for an unreadable one (treated as stale), ``None`` when there is none."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        info = json.loads(text)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def write_marker(path: Path, info: dict[str, Any]) -> None:
    """Atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info, indent=1))
    os.replace(tmp, path)


def classify(
    info: dict[str, Any] | None,
    pid_alive: Callable[[int], bool],
    is_live: Callable[[dict[str, Any]], bool],
) -> MarkerState:
    """LIVE only if the owning process is alive *and* ``is_live`` (e.g. its port answers): a recycled pid alone
    does not keep a dead broker's state directory locked."""
    if info is None:
        return MarkerState.ABSENT
    pid = info.get("pid")
    if not isinstance(pid, int) or "bootstrap_servers" not in info:
        return MarkerState.STALE
    if not pid_alive(pid) or not is_live(info):
        return MarkerState.STALE
    return MarkerState.LIVE
