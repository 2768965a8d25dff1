"""Dedup stage: exact keys and revisions (keys.py, stateful.py), wired by ``DeduplicateStories`` (stage.py).

The names below are imported on first use (PEP 562): a stage pool worker imports ``dedup.near`` to sketch the bodies
it normalized and must not import Beam through this file.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"DeduplicateStories": "stage", "DUPLICATES": "stateful"}

__all__ = ["DUPLICATES", "DeduplicateStories"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
