"""A local run imports Beam without its Google Cloud clients (nor MongoDB's).

``apache-beam[gcp]`` (which deploy/ needs) installs the clients of Cloud Storage, BigQuery, Pub/Sub and the Dataflow
API, and ``import apache_beam`` then loads them: ``apache_beam.io`` imports its BigQuery and Pub/Sub IOs,
``apache_beam.io.filesystems`` the GCS file system, ``apache_beam.runners`` the Dataflow runner's API client.  Each of
those imports sits inside ``try/except ImportError``: Beam installed without the extra runs without them.  A local run
(the FnApiRunner) whose paths are all local never calls them, yet loading them was ~0.3 s of CPU and wall time of the
~0.9 s Beam import, at every ``news-pipeline run`` and ``news-pipeline demo`` (six alternating starts each,
``import apache_beam`` plus the FnApiRunner module, load ~1: 0.90 s -> 0.60 s wall, 1.00 -> 0.70 s CPU).  Google's
apitools (and oauth2client with it), which Beam's retry helper, metrics and GCP internals import under the same
guard, were another ~0.12 s (importing ``pipeline.beam.run`` and the FnApiRunner, eight alternating starts: 1.00 ->
0.87 s wall, 1.10 -> 0.97 s CPU).  MongoDB's client (``pymongo`` and its ``bson``, which apache-beam itself
requires) is loaded by ``apache_beam.io``'s MongoDB IO, again under such a guard: another ~0.08 s and 124 modules
(importing ``pipeline.beam.run``, ``pipeline.cli`` and the FnApiRunner, fourteen alternating starts, medians: 1.12 ->
1.04 s wall, 1.26 -> 1.18 s CPU).  Its guard logs a warning when the client is missing ("Could not find a compatible
bson package"), which says nothing a local run needs, so that one logger is set to errors only.  (pyarrow, under
the same kind of guard, was measured too: 0.01-0.02 s more, not worth hiding.)

``skip_for_local_run`` marks them absent in this process (``sys.modules[name] = None`` is Python's documented way to
make an import raise ImportError), so Beam takes the path it takes without the extra.  Only the owner of a process
calls it (the CLI's ``run`` and ``demo``), before Beam is imported, and only for a run that names nothing remote: a
``--runner`` among the Beam arguments, or a ``://`` path in them or in the run's own paths (``--out-dir gs://...``),
keeps every client.  Secret Manager's client (bus/secrets.py) and google.auth are not touched.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

# What Beam imports when installed and guards with ``except ImportError``; nothing here is used by a local run.
CLOUD_MODULES = (
    "google.cloud.storage",  # apache_beam.io.gcp.gcsio (the gs:// file system)
    "google.cloud.bigquery",
    "google.cloud.bigquery_storage_v1",
    "google.cloud.pubsub",
    "google.cloud.pubsub_v1",
    "google.cloud.dataflow",  # apache_beam.runners.dataflow's API client
    "google.cloud.dataflow_v1beta3",
    "apache_beam.io.gcp.bigquery",  # Beam's BigQuery IO: apache_beam.io imports it, with Pub/Sub's, in one guarded block
    # Google's older API client library (and oauth2client with it): apache_beam.utils.retry, which the S3 file system
    # imports, internal.metrics and internal.gcp import its exceptions and types, each guarded (~0.12 s of a start).
    "apitools",
    # MongoDB's client: apache_beam.io imports its MongoDB IO (mongodbio), which imports these in one guarded block
    "pymongo",
    "bson",
)
# the guard's warning when it finds no MongoDB client (above)
QUIETED_LOGGERS = ("apache_beam.io.mongodbio",)


def names_remote(beam_args: Iterable[str], paths: Iterable[str]) -> bool:
    """True when the run may need a cloud client: another runner, or any ``scheme://`` path."""
    args = list(beam_args)
    if any(a == "--runner" or a.startswith("--runner=") for a in args):
        return True
    return any("://" in s for s in (*args, *paths) if s)


def skip_for_local_run(beam_args: Iterable[str], paths: Iterable[str] = ()) -> bool:
    """Before Beam is imported: mark ``CLOUD_MODULES`` absent in this process unless the run names something remote
    or Beam is already imported (nothing to gain then).  True when it did."""
    if "apache_beam" in sys.modules or names_remote(beam_args, paths):
        return False
    for name in CLOUD_MODULES:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    return True
