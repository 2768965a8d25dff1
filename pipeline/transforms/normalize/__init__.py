"""The normalize stage: raw feed entries -> normalized Dispatches (clean text, dateline, byline, agency, dates, URLs).

Pure functions, one module per concern; ``stage.NormalizeDispatches`` is the thin Beam wrapper.

The names below are imported on first use (PEP 562), not with the package: a stage pool worker imports
``normalize.record`` and must not import Beam through this file.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "NormalizeDispatches": "stage",
    "canonical_agency": "agency",
    "canonical_url": "urls",
    "clean_headline": "headline",
    "html_to_text": "html",
    "normalize_entry": "core",
    "parse_byline": "byline",
    "parse_date": "dates",
    "parse_dateline": "dateline",
    "sanitize_html": "html",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
