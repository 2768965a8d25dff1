"""Import a spaCy language module with its large regular expressions compiled once per machine, not per process.

spaCy's French language data compiles one regular expression of ~1.45 million characters when it is imported
(``spacy/lang/fr/tokenizer_exceptions.py``: hyphenated and elided word forms, case-insensitive, over Unicode letter
classes): 2.3 s of CPU in every process that loads the French model, the seed's language, i.e. each NER worker and
``inspect`` or ``demo`` of a French dispatch.  Almost all of it is ``re``'s parser and its charset optimiser.

Python cannot serialise a compiled pattern, but ``re`` looks every ``re.compile(pattern, flags)`` up in its module
cache first, and a pattern is rebuilt in microseconds from its compiled program (``_sre.compile``).  So the first
import of a language module records the program of every pattern of at least ``BIG`` characters it compiles
(``re._compiler.compile`` wrapped for the duration), keeps them in a cache file (enrich/cache.py: marshal, plain
values, keyed by spaCy's version, this file and the regex engine's ``MAGIC``), and later imports put them back in
``re``'s cache before importing, where spaCy's own ``re.compile`` finds them.  The same pattern string and flags give
the same program, so the tokenizer is the same; ``NEWS_PIPELINE_CACHE_DIR=off`` or any mismatch (another Python:
the cache's key; a refused program) falls back to the plain import.  No library does this: the ``regex`` package
has no persistent cache either, and spaCy compiles the pattern at module import, before any configuration.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import threading
from pathlib import Path
from typing import Any

from pipeline.transforms.enrich import cache

log = logging.getLogger(__name__)

BIG = 10_000  # characters: patterns this long are kept (spaCy's French TOKEN_MATCH has 1,450,369)
_LOCK = threading.Lock()

try:  # CPython's regex engine internals (3.11): compile() = parse + _code + _sre.compile; re._cache by key
    import _sre
    from re import _compiler, _parser

    _SUPPORTED = hasattr(re, "_cache") and hasattr(_compiler, "_code") and hasattr(_sre, "MAGIC")
except ImportError:  # another Python implementation
    _SUPPORTED = False


def import_module(module: str) -> None:
    """``import module``, its large patterns from the cache file when there is one (else recorded into it)."""
    if module in sys.modules or not _SUPPORTED:
        importlib.import_module(module)
        return
    with _LOCK:
        source = Path(__file__).read_bytes() + f"\0{module}\0{_sre.MAGIC}".encode()
        entries = cache.cached(f"re-{module}", cache.key(source, ["spacy"]), lambda: _recorded(module))
        if module not in sys.modules:  # read from the cache: put them back, then import
            _install(entries)
        importlib.import_module(module)


def _recorded(module: str) -> list[tuple]:
    """Import ``module`` with ``re._compiler.compile`` wrapped: the programs of its patterns of >= ``BIG``."""
    kept: list[tuple] = []
    plain = _compiler.compile

    def compile_and_keep(p: Any, flags: int = 0) -> Any:
        if not (isinstance(p, str) and len(p) >= BIG):
            return plain(p, flags)
        tree = _parser.parse(p, flags)
        code = _compiler._code(tree, flags)
        groupindex = dict(tree.state.groupdict)
        indexgroup = [None] * tree.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        entry = (
            p,
            int(flags),
            int(flags | tree.state.flags),
            [int(x) for x in code],
            tree.state.groups - 1,
            groupindex,
        )
        kept.append((*entry, tuple(indexgroup)))
        return _sre.compile(p, entry[2], code, entry[4], groupindex, tuple(indexgroup))

    _compiler.compile = compile_and_keep
    try:
        importlib.import_module(module)
    finally:
        _compiler.compile = plain
    return kept


def _install(entries: list) -> None:
    for pattern, flags, final_flags, code, groups, groupindex, indexgroup in entries:
        try:
            compiled = _sre.compile(
                pattern, final_flags, list(code), groups, dict(groupindex), tuple(indexgroup)
            )
        except Exception as exc:  # (a program this engine refuses: the import compiles it itself)
            log.debug("cached pattern not usable: %s", exc)
            continue
        re._cache[str, pattern, flags] = compiled  # type: ignore[attr-defined]
