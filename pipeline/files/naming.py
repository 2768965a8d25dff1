"""Names of the Avro files the file sink writes: topic, partition and the offset range they hold.

In: an output directory (local path or any Beam FileSystems URL such as ``gs://``).  Out: the finished files as
``RangeFile``s, the next offset to write per partition, and the removal of unfinished temporary files.

A finished file is ``<topic>+<partition>+<first offset>+<last offset>.avro`` (offsets zero-padded so names sort in
offset order) and holds exactly the records of that partition in that inclusive range, in order.  It appears by an
atomic rename of ``.tmp-<topic>+<partition>+<first offset>.avro`` once complete, and is never rewritten.  Because
the names *are* the sink's progress, a sink that restarts resumes after the last finished file of each partition,
whatever it managed to commit to Kafka: files and topic cannot disagree (the Kafka Connect S3 sink's rule).
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Any

TMP = ".tmp-"
SUFFIX = ".avro"
_PAD = 19  # digits of the largest Kafka offset (2**63 - 1)
_NAME = re.compile(r"^(?P<topic>[A-Za-z0-9._-]+)\+(?P<partition>\d+)\+(?P<first>\d+)\+(?P<last>\d+)\.avro$")


@dataclass(frozen=True, order=True)
class RangeFile:
    topic: str
    partition: int
    first: int
    last: int  # inclusive

    @property
    def name(self) -> str:
        return f"{self.topic}+{self.partition}+{self.first:0{_PAD}d}+{self.last:0{_PAD}d}{SUFFIX}"


def temp_name(topic: str, partition: int, first: int) -> str:
    return f"{TMP}{topic}+{partition}+{first:0{_PAD}d}{SUFFIX}"


def parse(name: str) -> RangeFile | None:
    m = _NAME.match(name)
    if m is None:
        return None
    return RangeFile(m["topic"], int(m["partition"]), int(m["first"]), int(m["last"]))


def is_remote(path: str) -> bool:
    return "://" in path


def remote_fs() -> Any:
    """Beam's ``FileSystems``, for remote paths only: imported on first use, so a sink writing local files (the
    file-sink process beside a local run) does not pay Beam's 2 s import."""
    from apache_beam.io.filesystems import FileSystems

    return FileSystems


def join(out_dir: str, name: str) -> str:
    return remote_fs().join(out_dir, name) if is_remote(out_dir) else os.path.join(out_dir, name)


def _names(out_dir: str) -> list[str]:
    if not is_remote(out_dir):
        try:
            return os.listdir(out_dir)
        except FileNotFoundError:
            return []
    found = remote_fs().match([remote_fs().join(out_dir, "*")])
    return [m.path.rsplit("/", 1)[-1] for r in found for m in r.metadata_list]


def finished(out_dir: str, topic: str | None = None) -> list[RangeFile]:
    """Finished files in ``out_dir`` (of ``topic`` when given), in (topic, partition, offset) order."""
    files = [f for f in map(parse, _names(out_dir)) if f is not None]
    return sorted(f for f in files if topic is None or f.topic == topic)


def next_offsets(out_dir: str, topic: str) -> dict[int, int]:
    """Per partition, the offset after the last finished file: where a restarted sink resumes."""
    nxt: dict[int, int] = {}
    for f in finished(out_dir, topic):
        nxt[f.partition] = max(nxt.get(f.partition, 0), f.last + 1)
    return nxt


def remove_temp(out_dir: str, topic: str) -> list[str]:
    """Delete unfinished temporary files of ``topic`` (a killed sink's); their records are written again."""
    removed = []
    for name in _names(out_dir):
        if name.startswith(f"{TMP}{topic}+") and name.endswith(SUFFIX):
            path = join(out_dir, name)
            with contextlib.suppress(FileNotFoundError, OSError):
                if is_remote(out_dir):
                    remote_fs().delete([path])
                else:
                    os.remove(path)
                removed.append(path)
    return removed


LEGACY_OPEN = "_open-"  # releases before 0.2 kept a complete, growing file under this prefix


def finalize_legacy(out_dir: str) -> list[str]:
    """Give an earlier release's ``_open-`` files (complete, valid container files) their final names."""
    done = []
    for name in _names(out_dir):
        if name.startswith(LEGACY_OPEN) and name.endswith(SUFFIX):
            src, dst = join(out_dir, name), join(out_dir, name[len(LEGACY_OPEN) :])
            with contextlib.suppress(OSError):
                if is_remote(out_dir):
                    remote_fs().rename([src], [dst])
                else:
                    os.replace(src, dst)
                done.append(dst)
    return done
