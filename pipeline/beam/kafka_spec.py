"""The small values the Kafka source's stages pass each other: partition work items and the stop flag.

A leaf module: the readers (kafka_io.py) and the partition listing/watching stages (kafka_partitions.py) both import
it, so neither imports the other's module at run time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

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
