"""A cache file for indexes that are slow to build and a pure function of installed code and data (the gazetteer;
clustering's word lists, cluster/tokens.py).

In: a name, a key over everything the index is built from, a builder returning plain data (dicts, lists, tuples,
strings, numbers).  Out: that data, read from ``<cache dir>/<name>-<key>.marshal`` when the file exists, else built
and written there for the next process.  ``marshal`` (not pickle) because it only reads plain values back: a cache
file can never run code, and reading 6 MB of it takes ~0.1 s.

The directory is ``$NEWS_PIPELINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/news-pipeline``, else
``~/.cache/news-pipeline``; ``NEWS_PIPELINE_CACHE_DIR=off`` turns the cache off.  Files are written to a temporary
name and renamed, so concurrent processes (the pipeline and its enrich workers start together) never read half a
file; a file that does not read back is rebuilt; files of other keys for the same name are removed on write.  Any
I/O problem only costs the rebuild.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV = "NEWS_PIPELINE_CACHE_DIR"


def cache_dir() -> Path | None:
    configured = os.environ.get(ENV)
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "news-pipeline"


def key(source: bytes, packages: Sequence[str]) -> str:
    """A key over the builder's source, the data packages' versions and the Python version (marshal's format)."""
    digest = hashlib.sha256(source)
    for name in packages:
        digest.update(f"\0{name}={importlib.metadata.version(name)}".encode())
    digest.update(f"\0python={sys.version_info[0]}.{sys.version_info[1]}".encode())
    return digest.hexdigest()[:20]


def cached(name: str, cache_key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s plain data, from the cache file when there is one for this key."""
    directory = cache_dir()
    if directory is None:
        return build()
    path = directory / f"{name}-{cache_key}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, TypeError) as exc:
        log.warning("cache file %s unreadable (%s): rebuilding it", path, exc)
    data = build()
    try:
        _write(directory, path, marshal.dumps(data))
    except (OSError, ValueError) as exc:
        log.info("cache file %s not written (%s): the next process builds again", path, exc)
    return data


def _write(directory: Path, path: Path, payload: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    prefix = path.name.rsplit("-", 1)[0] + "-"
    for old in directory.glob(f"{prefix}*.marshal"):
        if old != path:
            old.unlink(missing_ok=True)
