"""transforms/enrich: ``Dispatch`` in, ``EnrichedDispatch`` out (language, entities, places, keywords, topics).

Pure core in ``enricher.Enricher`` (load once, ``enrich_batch`` / ``enrich_one``); the Beam composite is
``stage.EnrichDispatches``.  See docs/enrich.md for the models, the measurements and the limits.

The names below are imported on first use (PEP 562), not with the package: an enrich pool worker imports
``enrich.pool`` and must not import Beam through this file (1.7 s of imports per spawned worker).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Enricher": "pipeline.transforms.enrich.enricher",
    "EnrichDispatches": "pipeline.transforms.enrich.stage",
}

__all__ = ["Enricher", "EnrichDispatches"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
