"""spaCy imported without its command-line interface, which no process here uses.

``spacy/__init__.py`` runs ``from .cli.info import info`` (to offer ``spacy.info()``), and importing ``spacy.cli``
imports every command: typer, weasel, requests, httpx and ~370 modules in all, ~0.25 s of CPU and wall time in every
process that loads a NER model (each NER stage worker, ``inspect``, ``demo``).  Six alternating starts of a process
loading the English model with ``models.load_ner`` (this tree against the one before it): 0.95 -> 0.73 s wall, 1.02
-> 0.83 s CPU, 1,103 -> 734 modules; ``news-pipeline inspect`` of the French seed, four alternating runs: 1.74-2.19
-> 1.39-1.68 s wall, the same output.

``import_spacy`` answers that one import with placeholders: during spaCy's first import, ``sys.modules`` holds a
``spacy.cli`` and a ``spacy.cli.info`` whose ``info`` is a proxy; they are taken out again once spaCy is imported,
and ``spacy.cli`` stays bound to the placeholder.  Nothing of spaCy's interface is lost: ``import spacy.cli`` (or any
of its submodules) imports the real package as usual, and an attribute of the placeholder or a call of
``spacy.info()`` imports it then.  Nothing is done if spaCy was imported already.  (spaCy has no setting for this:
the import is unconditional in its ``__init__``.)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any


class _Deferred(types.ModuleType):
    """A placeholder for ``spacy.cli`` or ``spacy.cli.info``: an attribute it lacks imports the real module."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(
                name
            )  # import-system and pickling probes: answered without importing anything
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``: imported as usual (the placeholders are not in ``sys.modules`` any more), which
    binds ``spacy.cli`` to the real package."""
    return importlib.import_module(name)


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: the real one, imported at its first call."""
    return _real("spacy.cli.info").info(*args, **kwargs)


def _placeholders() -> dict[str, types.ModuleType]:
    """``spacy.cli`` and ``spacy.cli.info`` placeholders, or none if spaCy is missing or laid out otherwise."""
    spec = importlib.util.find_spec("spacy")  # a top-level package: found, not imported
    if spec is None or not spec.submodule_search_locations:
        return {}
    if not (Path(next(iter(spec.submodule_search_locations))) / "cli" / "info.py").is_file():
        return {}
    cli, info = _Deferred("spacy.cli"), _Deferred("spacy.cli.info")
    info.info = _info  # type: ignore[attr-defined]
    cli.info = info  # type: ignore[attr-defined]
    return {"spacy.cli": cli, "spacy.cli.info": info}


def import_spacy() -> types.ModuleType:
    """``import spacy``, without its CLI's import when spaCy is not imported yet in this process."""
    if "spacy" in sys.modules or "spacy.cli" in sys.modules:
        import spacy

        return spacy
    placeholders = _placeholders()
    sys.modules.update(placeholders)
    try:
        import spacy
    finally:
        for name, module in placeholders.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    if placeholders and "cli" not in vars(spacy):
        spacy.cli = placeholders["spacy.cli"]  # type: ignore[attr-defined]  # as the import would have bound it
    return spacy
