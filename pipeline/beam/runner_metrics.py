"""Local-runner fix: the FnApiRunner's metrics no longer grow with every bundle.

After each bundle, Beam's FnApiRunner merges the bundle's monitoring infos into a per-stage list
(``monitoring_infos.consolidate``).  Only sums and distributions are combined; any other type (our gauges:
``dedup/tracked_stories``, ``kafka_read/backlog_records``) is kept once per bundle, for the whole run.  Each kept
info is a sub-message of its bundle's response, and protobuf (upb) keeps a message's whole arena alive while any
sub-message is referenced, so every bundle's response stayed in memory: a native leak that tracemalloc cannot see
(memray: 62 MB of upb arenas from ``SdkWorker.process_bundle`` left after a 6,000-item drain with dedup capped).

``consolidate`` here gives the same totals: sums and distributions through Beam's own combiners, a gauge's latest
value by its timestamp (Beam's gauge semantics), exact repeats of any other type once.  Every info it returns is a
fresh copy, so no bundle response is kept.  Applied once per process by ``local_runner()``; Dataflow does not run
this code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

_applied = False


def consolidate(infos: Iterable[Any]) -> Iterator[Any]:
    from apache_beam.metrics import monitoring_infos as mi
    from apache_beam.portability.api import metrics_pb2

    groups: dict[Any, list[Any]] = {}
    for info in infos:
        groups.setdefault(mi.to_key(info), []).append(info)
    for values in groups.values():
        if len(values) > 1 and mi.is_gauge(values[0]):
            values = [max(values, key=lambda v: mi.extract_gauge_value(v)[0])]
        elif len(values) > 1 and values[0].type not in mi._KNOWN_COMBINERS:
            unique = {v.SerializeToString(deterministic=True): v for v in values}
            values = list(unique.values())
        for info in mi.consolidate(values):
            fresh = metrics_pb2.MonitoringInfo()
            fresh.ParseFromString(info.SerializeToString())  # no reference into the bundle
            yield fresh


def apply() -> bool:
    """Replace the FnApiRunner's ``consolidate_monitoring_infos``.  Idempotent; True once applied."""
    global _applied
    if _applied:
        return True
    try:
        from apache_beam.runners.portability.fn_api_runner import fn_runner
    except ImportError:  # pragma: no cover - Beam without the portable runner
        return False
    fn_runner.consolidate_monitoring_infos = consolidate
    _applied = True
    return True
