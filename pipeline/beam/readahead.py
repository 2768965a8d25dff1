"""Single-process local runner: the topic reads the stages make before their first record, started together.

Before it handles a record, a local run reads three things back from Kafka, each in a DoFn's ``setup`` or first
bundle and so one after another: dedup's snapshot of the output topic (dedup/restore.py), clustering's snapshot of
the same topic (cluster/restore.py, in a helper process when the topic is large) and the dead letters already
written (dlq/written.py).  Each read waits on the broker: a consumer's metadata, its partitions and the fetch that
confirms the end, ~0.1-0.2 s even on an empty topic.  ``start`` makes the same calls in daemon threads when the
graph is built, so those waits overlap each other and the runner's own start-up; the stages then find the results
in the process-wide caches they already share (or wait for the read in progress, which holds that cache's lock).
A read that fails here is only logged: the stage reads again and reports the error as it always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pipeline.settings import PipelineSettings
from pipeline.transforms.dedup.restore import RestoreSource

log = logging.getLogger(__name__)


def _quietly(name: str, read: Callable[[], object]) -> None:
    try:
        read()
    except Exception as exc:  # the stage reads again in its setup and fails there, with its own error
        log.debug("read-ahead of %s failed (%s); the stage reads it itself", name, exc)


def start(
    restore: RestoreSource, settings: PipelineSettings, run_id: str, now_s: float
) -> list[threading.Thread]:
    """Start the reads (``now_s``: the horizon's reference, as the stages' own clocks would give a moment later)."""
    from pipeline.dlq import written
    from pipeline.transforms.cluster import restore as cluster_restore
    from pipeline.transforms.dedup import restore as dedup_restore

    horizon_s = settings.dedup_horizon_s
    reads: dict[str, Callable[[], object]] = {
        "dedup restore": lambda: dedup_restore.shared(restore, horizon_s, now_s),
        "cluster restore": lambda: cluster_restore.shared(restore, horizon_s, now_s),
        "written dead letters": lambda: written.shared(
            settings.kafka, settings.topics.dead_letter, horizon_s, run_id
        ),
    }
    threads = [
        threading.Thread(target=_quietly, args=(name, read), name=f"read-ahead {name}", daemon=True)
        for name, read in reads.items()
    ]
    for t in threads:
        t.start()
    return threads
