"""Fault injection for tests: a record that crashes whatever process enriches it, as a native crash in a model's
code would.  With this directory on ``PYTHONPATH`` and ``NEWS_TEST_CRASH_ON`` set, every Python process started
with that environment (a ``news-pipeline run``, its spawned stage workers) gets ``Enricher.enrich_batch`` and
``enrich_one`` wrapped, once the enricher module is imported: a batch holding a dispatch whose headline or body
contains the marker SIGKILLs its own process before any work.  The pipeline's code is not changed; only how the
enricher behaves on that one record.  Used by tests/faults/test_poison_crash.py and tests/pipeline/test_enrich_pool.py.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import signal
import sys

MARKER = os.environ.get("NEWS_TEST_CRASH_ON")
TARGET = "pipeline.transforms.enrich.enricher"


def _poisoned(items) -> bool:
    return any(MARKER in (getattr(d, "headline", "") or "") + (getattr(d, "body", "") or "") for d in items)


def _patch(module) -> None:
    cls = module.Enricher
    batch, one = cls.enrich_batch, cls.enrich_one

    def enrich_batch(self, dispatches):
        dispatches = list(dispatches)
        if _poisoned(dispatches):
            os.kill(os.getpid(), signal.SIGKILL)
        return batch(self, dispatches)

    def enrich_one(self, dispatch):
        if _poisoned([dispatch]):
            os.kill(os.getpid(), signal.SIGKILL)
        return one(self, dispatch)

    cls.enrich_batch, cls.enrich_one = enrich_batch, enrich_one


class _AfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module) -> None:
            run(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


if MARKER:
    sys.meta_path.insert(0, _AfterImport())
