"""The small values the Kafka IO's stages share: the read settings, partition work items and the stop flag.

A leaf module: the readers (source.py), the partition listing/watching stages (partitions.py) and the sink (sink.py)
import it, so none of them imports another's module.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pipeline.settings import KafkaSettings

MAX_OFFSET = 2**63 - 1
# Set by the CLI's SIGINT/SIGTERM handler: readers claim their end and the pipeline finishes after flushing.
STOP = threading.Event()


@dataclass(frozen=True)
class PartitionSpec:
    topic: str
    partition: int
    start_offset: int


@dataclass(frozen=True)
class WatchSpec:
    """Stream mode: watch ``topic`` for partitions with ids >= ``known`` (the ones below are read already)."""

    topic: str
    known: int


# live_chunk_s on the single-process local runner: one partition's latency as low as many partitions' (bench_stream:
# p50 0.17-0.31 -> 0.08-0.14 s at 10/s, NER off and on; docs/performance.md, seventh pass), for more bundles at the
# head of the log (10/s: +28 % CPU a record, NER off; none at 200/s).  Other runners keep 0.2 s: not measured there.
LOCAL_LIVE_CHUNK_S = 0.05


@dataclass(frozen=True)
class ReadConfig:
    kafka: KafkaSettings
    group_id: str
    mode: str = "drain"  # drain | stream
    max_records_per_chunk: int = 5000
    max_chunk_s: float = 1.0
    # stream mode, at the head of the log: a chunk (a bundle: its output's flush, its offset commit) ends once it is
    # this old, so a live partition's records flow out every ~0.2 s however steadily they arrive; a backlog is still
    # read in max_chunk_s chunks.  The single-process local runner uses LOCAL_LIVE_CHUNK_S (beam/graph.py).
    live_chunk_s: float = 0.2
    poll_timeout_ms: int = 500
    idle_stop_s: float | None = (
        None  # stream mode: finish after this long without a record (or a new partition)
    )
    discovery_interval_s: float = 30.0  # stream mode: how often topic metadata is polled for new partitions
    idle_watermark_lag_s: float = 10.0  # caught-up, idle partition: watermark = wall time - this
    size_cache_s: float = 2.0  # how long an end offset fetched for restriction_size is reused
    # Watch for partitions added while streaming.  None: only on runners that run unbounded stages side by side
    # (Dataflow); the local FnApiRunner runs one stage after another, so a watcher stage would starve the readers.
    watch_partitions: bool | None = None
