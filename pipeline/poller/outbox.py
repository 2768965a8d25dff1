"""What the poller delivered, kept so a broker that loses it can be caught and refilled.

In: raw records Kafka acknowledged (topic, partition, offset, key, value).  Out, in the state file: the *outbox* (the
record bytes, for the seen-entry horizon and up to a byte cap, oldest dropped first) and the *ledger* (per
topic-partition the newest acked record: offset, digest, topic id).  ``judge`` compares the ledger with what the broker
shows now (recovery.py reads that) and names the partitions whose data is gone; ``mark_lost`` turns the outbox rows
the broker no longer holds into pending re-sends.  SQL on a connection the caller holds; no Kafka here.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# ``part``/``pos`` rather than partition/offset: both are SQL keywords.  pos IS NULL marks a record to (re-)send.
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    part INTEGER,
    pos INTEGER,
    key BLOB,
    value BLOB NOT NULL,
    digest BLOB NOT NULL,
    acked_ms INTEGER NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_acked ON outbox(acked_ms);
CREATE INDEX IF NOT EXISTS outbox_topic ON outbox(topic, part);
CREATE TABLE IF NOT EXISTS ledger (
    topic TEXT NOT NULL,
    part INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    digest BLOB NOT NULL,
    topic_id TEXT,
    acked_ms INTEGER NOT NULL,
    PRIMARY KEY (topic, part)
) WITHOUT ROWID;
"""

Read = Callable[[str, Iterable[object]], list[tuple]]


def digest(key: bytes | None, value: bytes) -> bytes:
    """The identity of one record's bytes (key and value), as compared with what the broker returns."""
    h = hashlib.sha256(len(key or b"").to_bytes(4, "big"))
    h.update(key or b"")
    h.update(value)
    return h.digest()[:16]


@dataclass(frozen=True)
class Acked:
    """One record Kafka acknowledged.  ``outbox_id`` is set when it was a re-send of an outbox row."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    topic_id: str | None = None
    outbox_id: int | None = None

    @property
    def digest(self) -> bytes:
        return digest(self.key, self.value)


@dataclass(frozen=True)
class Probe:
    """The ledger for one partition: the newest record we saw acked there."""

    partition: int
    offset: int
    digest: bytes
    topic_id: str | None


@dataclass(frozen=True)
class Found:
    """The first record the broker returned when asked for a probe's offset."""

    offset: int
    digest: bytes


@dataclass(frozen=True)
class TopicView:
    """What the broker shows now for a topic, around the ledger's probes."""

    exists: bool
    topic_id: str | None = None
    partitions: frozenset[int] = frozenset()
    earliest: dict[int, int] = field(default_factory=dict)
    found: dict[int, Found | None] = field(
        default_factory=dict
    )  # None: nothing at or after the probe's offset


def judge(ledger: dict[int, Probe], view: TopicView) -> dict[int, str]:
    """Partitions whose acknowledged data the broker no longer holds, with the reason.

    A record deleted by retention (its offset is below the log start) is not a loss; a gap at the offset with later
    records (compaction) is not one either.  The topic gone, a new topic id, the log ending before the offset, or
    another record at that very offset are.
    """
    lost: dict[int, str] = {}
    for p, probe in ledger.items():
        if not view.exists:
            lost[p] = "topic_missing"
        elif probe.topic_id and view.topic_id and probe.topic_id != view.topic_id:
            lost[p] = "topic_recreated"
        elif p not in view.partitions:
            lost[p] = "partition_missing"
        elif probe.offset < view.earliest.get(p, 0):
            continue
        else:
            found = view.found.get(p)
            if found is None or found.offset < probe.offset:
                lost[p] = "truncated"
            elif found.offset == probe.offset and found.digest != probe.digest:
                lost[p] = "overwritten"
    return lost


def suspicious(ledger: dict[int, Probe], acked: Iterable[Acked]) -> bool:
    """Acks that look like a broker which started over: an offset at or below the ledger's, or another topic id.

    Another poller on the same state file can cause the first too, so this only asks for ``judge`` to look.
    """
    for a in acked:
        probe = ledger.get(a.partition)
        if probe is None:
            continue
        if a.offset <= probe.offset or (a.topic_id and probe.topic_id and a.topic_id != probe.topic_id):
            return True
    return False


# -- the state file ---------------------------------------------------------------------------------------------------
def record(db: sqlite3.Connection, acked: Iterable[Acked], now_ms: int, ledger: bool = True) -> None:
    """Keep acked records in the outbox (re-sent rows get their new place) and move the ledger forward."""
    acked = list(acked)
    db.executemany(
        "UPDATE outbox SET part=?, pos=? WHERE id=?",
        [(a.partition, a.offset, a.outbox_id) for a in acked if a.outbox_id is not None],
    )
    db.executemany(
        "INSERT INTO outbox(topic, part, pos, key, value, digest, acked_ms, size) VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                a.topic,
                a.partition,
                a.offset,
                a.key,
                a.value,
                a.digest,
                now_ms,
                len(a.value) + len(a.key or b""),
            )
            for a in acked
            if a.outbox_id is None
        ],
    )
    newest: dict[tuple[str, int], Acked] = {}
    for a in acked:
        tp = (a.topic, a.partition)
        if tp not in newest or a.offset > newest[tp].offset:
            newest[tp] = a
    if not ledger:
        return
    db.executemany(
        "INSERT INTO ledger(topic, part, pos, digest, topic_id, acked_ms) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT(topic, part) DO UPDATE SET pos=excluded.pos, digest=excluded.digest, "
        "topic_id=COALESCE(excluded.topic_id, ledger.topic_id), acked_ms=excluded.acked_ms WHERE excluded.pos > ledger.pos",
        [(a.topic, a.partition, a.offset, a.digest, a.topic_id, now_ms) for a in newest.values()],
    )


def ledger_of(read: Read, topic: str) -> dict[int, Probe]:
    rows = read("SELECT part, pos, digest, topic_id FROM ledger WHERE topic=?", (topic,))
    return {p: Probe(p, pos, d, tid) for p, pos, d, tid in rows}


def mark_lost(
    db: sqlite3.Connection, topic: str, partitions: set[int] | None, present: set[bytes]
) -> tuple[int, int]:
    """Forget the ledger of the lost partitions (``None``: the whole topic) and mark their outbox rows that the broker
    no longer holds (digest not in ``present``) as pending.  Returns (rows looked at, rows marked)."""
    if partitions is None:
        db.execute("DELETE FROM ledger WHERE topic=?", (topic,))
        rows = db.execute(
            "SELECT id, digest FROM outbox WHERE topic=? AND pos IS NOT NULL", (topic,)
        ).fetchall()
    else:
        marks = ",".join("?" * len(partitions))
        db.execute(f"DELETE FROM ledger WHERE topic=? AND part IN ({marks})", (topic, *partitions))
        rows = db.execute(
            f"SELECT id, digest FROM outbox WHERE topic=? AND pos IS NOT NULL AND part IN ({marks})",
            (topic, *partitions),
        ).fetchall()
    gone = [(row_id,) for row_id, d in rows if bytes(d) not in present]
    db.executemany("UPDATE outbox SET part=NULL, pos=NULL WHERE id=?", gone)
    return len(rows), len(gone)


def pending(read: Read, topic: str, limit: int) -> list[tuple[int, bytes | None, bytes]]:
    """Outbox rows waiting to be (re-)sent, oldest first: (id, key, value)."""
    return read(
        "SELECT id, key, value FROM outbox WHERE topic=? AND pos IS NULL ORDER BY id LIMIT ?", (topic, limit)
    )


def pending_count(read: Read) -> int:
    return int(read("SELECT COUNT(*) FROM outbox WHERE pos IS NULL", ())[0][0])


def prune(db: sqlite3.Connection, before_ms: int, max_bytes: int) -> tuple[int, int]:
    """Drop rows acked before ``before_ms`` (the seen-entry horizon), then the oldest until at most ``max_bytes``.
    Returns (dropped by the horizon, dropped by the cap: deliveries a broker loss could no longer be repaired for)."""
    aged = db.execute("DELETE FROM outbox WHERE acked_ms < ?", (before_ms,)).rowcount
    row = db.execute(
        "SELECT id FROM (SELECT id, SUM(size) OVER (ORDER BY id DESC) AS total FROM outbox) "
        "WHERE total > ? ORDER BY id DESC LIMIT 1",
        (max_bytes,),
    ).fetchone()
    capped = db.execute("DELETE FROM outbox WHERE id <= ?", row).rowcount if row is not None else 0
    return aged, capped


def size_of(read: Read) -> tuple[int, int]:
    """(rows, bytes) in the outbox."""
    rows, size = read("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox", ())[0]
    return int(rows), int(size)
