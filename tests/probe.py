"""Functions a test sends to a spawned worker process to ask about its state.  This module imports nothing else, so
unpickling one of them in the worker does not change what it asks about."""

from __future__ import annotations

import sys


def imported(name: str) -> bool:
    """Whether module ``name`` is imported in this process."""
    return name in sys.modules


def attribute(path: str) -> object:
    """The value of ``"module:name"`` in this process (None when the module is not imported)."""
    module, _, name = path.partition(":")
    return getattr(sys.modules.get(module), name, None)
