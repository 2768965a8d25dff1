"""Event clusters across outlets and languages: ``ClusterEvents`` (stage.py) over pure signals and link rules.

The names below are imported on first use (PEP 562): an enrich pool worker computes signatures with
``cluster.signals`` and must not import Beam through this file.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"MERGES": "pipeline.transforms.cluster.keyed", "ClusterEvents": "pipeline.transforms.cluster.stage"}

__all__ = ["MERGES", "ClusterEvents"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
