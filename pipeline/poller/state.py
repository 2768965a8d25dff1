"""The poller's memory in one SQLite file: feeds, HTTP validators, schedule, leases, health, the seen-entry index,
and (outbox.py's tables) the delivered records.

In: feed list changes (add/remove), due-feed queries, and one ``PollOutcome`` per poll once Kafka has
acknowledged its records, with those records.  Out: ``FeedState`` rows and seen-entry lookups.  Older files get the
columns added since (``_MIGRATIONS``) when opened.  WAL journal, one transaction per
commit: a kill -9 loses at most the polls not yet committed, and those are simply fetched and sent again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipeline.poller import outbox
from pipeline.poller.changes import Seen
from pipeline.poller.sqlite import remember_seen, write_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    interval_s REAL,
    category TEXT,
    source TEXT NOT NULL DEFAULT 'cli',
    added_ms INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    body_sha TEXT,
    next_poll_ms INTEGER NOT NULL DEFAULT 0,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_kind TEXT,
    last_status INTEGER,
    last_poll_ms INTEGER,
    last_success_ms INTEGER,
    first_success_ms INTEGER,
    polls INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    entries_sent INTEGER NOT NULL DEFAULT 0,
    updates_sent INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    guid_drift INTEGER NOT NULL DEFAULT 0,
    bozo INTEGER NOT NULL DEFAULT 0,
    ttl_s REAL,
    update_period_s REAL,
    max_age_s REAL,
    moved_from TEXT,
    leased_until_ms INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT
);
CREATE INDEX IF NOT EXISTS feeds_next_poll ON feeds(next_poll_ms);
CREATE TABLE IF NOT EXISTS seen (
    feed_id INTEGER NOT NULL,
    entry_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    link TEXT,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_last ON seen(last_seen_ms);
CREATE INDEX IF NOT EXISTS seen_link ON seen(feed_id, link);
CREATE INDEX IF NOT EXISTS seen_first ON seen(feed_id, first_seen_ms);
"""


@dataclass(frozen=True)
class FeedState:
    id: int
    url: str
    title: str | None = None
    interval_s: float | None = None
    category: str | None = None
    source: str = "cli"
    added_ms: int = 0
    etag: str | None = None
    last_modified: str | None = None
    body_sha: str | None = None
    next_poll_ms: int = 0
    consecutive_errors: int = 0
    last_error: str | None = None
    last_error_kind: str | None = None
    last_status: int | None = None
    last_poll_ms: int | None = None
    last_success_ms: int | None = None
    first_success_ms: int | None = None
    polls: int = 0
    not_modified: int = 0
    errors: int = 0
    entries_sent: int = 0
    updates_sent: int = 0
    bytes: int = 0
    guid_drift: int = 0
    bozo: int = 0
    ttl_s: float | None = None
    update_period_s: float | None = None
    max_age_s: float | None = None
    moved_from: str | None = None
    leased_until_ms: int = 0  # a poller is working on this feed until then (renewed while it lives)
    lease_owner: str | None = None


# Columns added after the first release, with their definitions: opening an older file adds them.
_MIGRATIONS = {
    "leased_until_ms": "INTEGER NOT NULL DEFAULT 0",
    "lease_owner": "TEXT",
}
COLUMNS = [f.name for f in fields(FeedState)]


@dataclass
class PollOutcome:
    """Everything one poll changes, written in one transaction (after Kafka acknowledged the records)."""

    feed_id: int
    now_ms: int
    next_poll_ms: int
    status: int | None
    ok: bool  # 2xx/304: resets the error counter
    not_modified: bool = False
    error: str | None = None
    error_kind: str | None = None
    wire_bytes: int = 0
    etag: str | None = None  # validators are stored only with ok=True
    last_modified: str | None = None
    body_sha: str | None = None
    new_url: str | None = None  # a permanent redirect moved the feed
    title: str | None = None
    hints: tuple[float | None, float | None, float | None] = (None, None, None)
    bozo: bool = False
    sent: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # (key, hash, link) of acked records
    updates: int = 0
    refresh: list[str] = field(default_factory=list)  # unchanged keys whose last_seen should move forward
    drift: int = 0
    delivery_failed: bool = False  # Kafka did not ack: only the schedule moves, nothing else is advanced


def _retry_busy(step: Callable[[], object], deadline_s: float = 30.0) -> None:
    """Run ``step``, retrying with capped exponential backoff while SQLite says the file is locked/busy."""
    end, delay = time.monotonic() + deadline_s, 0.01
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            message = str(exc).lower()
            if ("locked" not in message and "busy" not in message) or time.monotonic() > end:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


class StateStore:
    """Thread-safe access to the state file (one connection, one lock; other processes wait on SQLite's lock)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA busy_timeout=30000")
            # Switching a file to WAL takes an exclusive lock, and SQLite may answer SQLITE_BUSY at once instead of
            # calling the busy handler (two pollers opening a fresh file together: seen in CI), so retry here.
            _retry_busy(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against process crashes
            _retry_busy(lambda: self._db.executescript(SCHEMA + outbox.SCHEMA))
            self._migrate()

    def _migrate(self) -> None:
        """Add the columns a state file written by an older version lacks (checked again under the write lock, so
        two pollers opening the same old file do not both add them)."""

        def missing() -> list[str]:
            have = {row[1] for row in self._db.execute("PRAGMA table_info(feeds)")}
            return [c for c in _MIGRATIONS if c not in have]

        if not missing():
            return
        with self._tx() as db:
            for column in missing():
                db.execute(f"ALTER TABLE feeds ADD COLUMN {column} {_MIGRATIONS[column]}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the state file (for outbox.py's tables, which share the file)."""
        with self._tx() as db:
            yield db

    def read(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[FeedState]:
        with self._lock:
            cur = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM feeds {sql}", tuple(args))
            return [FeedState(*row) for row in cur.fetchall()]

    # -- the feed list ----------------------------------------------------------------------------------------
    def add_feed(
        self,
        url: str,
        now_ms: int,
        title: str | None = None,
        interval_s: float | None = None,
        category: str | None = None,
        source: str = "cli",
    ) -> bool:
        """Add a feed (due at once) or update its title/interval/category; True if it was new."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO feeds(url, title, interval_s, category, source, added_ms, next_poll_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (url, title, interval_s, category, source, now_ms, now_ms),
            )
            if cur.rowcount:
                return True
            db.execute(
                "UPDATE feeds SET title=COALESCE(?, title), interval_s=?, category=COALESCE(?, category) "
                "WHERE url=?",
                (title, interval_s, category, url),
            )
            return False

    def remove_feed(self, url: str) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT id FROM feeds WHERE url=?", (url,)).fetchone()
            if not row:
                return False
            db.execute("DELETE FROM seen WHERE feed_id=?", row)
            db.execute("DELETE FROM feeds WHERE id=?", row)
            return True

    def feeds(self) -> list[FeedState]:
        return self._rows("ORDER BY url")

    def feed(self, url: str) -> FeedState | None:
        rows = self._rows("WHERE url=?", (url,))
        return rows[0] if rows else None

    def due(self, now_ms: int, limit: int) -> list[FeedState]:
        return self._rows(
            "WHERE next_poll_ms <= ? AND leased_until_ms <= ? ORDER BY next_poll_ms LIMIT ?",
            (now_ms, now_ms, limit),
        )

    def next_due_ms(self) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(MAX(next_poll_ms, leased_until_ms)) FROM feeds").fetchone()
        return row[0] if row else None

    # -- the seen-entry index ---------------------------------------------------------------------------------
    def seen(self, feed_id: int, keys: list[str]) -> dict[str, Seen]:
        out: dict[str, Seen] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = (
                    "SELECT entry_key, content_hash, last_seen_ms, link FROM seen WHERE feed_id=? AND entry_key IN "
                    f"({','.join('?' * len(chunk))})"
                )
                for key, h, last, link in self._db.execute(q, (feed_id, *chunk)):
                    out[key] = Seen(h, last, link)
        return out

    def keys_by_link(self, feed_id: int, links: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(links), 500):
                chunk = links[i : i + 500]
                q = f"SELECT link, entry_key FROM seen WHERE feed_id=? AND link IN ({','.join('?' * len(chunk))})"
                out.update(self._db.execute(q, (feed_id, *chunk)).fetchall())
        return out

    def new_entries_since(self, feed_id: int, since_ms: int) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM seen WHERE feed_id=? AND first_seen_ms>=?", (feed_id, since_ms)
            ).fetchone()
        return int(row[0])

    def prune_seen(self, before_ms: int) -> int:
        """Forget entries not seen since ``before_ms`` (the index is bounded in time, like Beam's dedup)."""
        with self._tx() as db:
            return db.execute("DELETE FROM seen WHERE last_seen_ms < ?", (before_ms,)).rowcount

    # -- one poll ---------------------------------------------------------------------------------------------
    def commit(
        self,
        outcomes: Iterable[PollOutcome],
        acked: Iterable[outbox.Acked] = (),
        now_ms: int = 0,
        ledger: bool = True,
    ) -> None:
        """Write the outcome of several polls in one transaction, with the raw records Kafka acked for them (the
        outbox, and the per-partition ledger unless ``ledger`` is False: what to re-send if the broker loses them)."""
        with self._tx() as db:
            for o in outcomes:
                self._commit_one(db, o)
            outbox.record(db, acked, now_ms, ledger)

    def reschedule(self, feed_id: int, next_poll_ms: int) -> None:
        """Move a feed's next poll without touching anything else (host cooling down, broker away)."""
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET next_poll_ms=?, leased_until_ms=0, lease_owner=NULL WHERE id=?",
                (next_poll_ms, feed_id),
            )

    def _commit_one(self, db: sqlite3.Connection, o: PollOutcome) -> None:
        db.execute("UPDATE feeds SET leased_until_ms=0, lease_owner=NULL WHERE id=?", (o.feed_id,))
        if o.delivery_failed:
            db.execute(
                "UPDATE feeds SET next_poll_ms=?, last_poll_ms=?, last_error=?, last_error_kind=? WHERE id=?",
                (o.next_poll_ms, o.now_ms, o.error, o.error_kind, o.feed_id),
            )
            return
        db.execute(
            "UPDATE feeds SET next_poll_ms=?, last_poll_ms=?, last_status=?, polls=polls+1, bytes=bytes+?, "
            "not_modified=not_modified+?, guid_drift=guid_drift+?, entries_sent=entries_sent+?, "
            "updates_sent=updates_sent+? WHERE id=?",
            (
                o.next_poll_ms,
                o.now_ms,
                o.status,
                o.wire_bytes,
                int(o.not_modified),
                o.drift,
                len(o.sent) - o.updates,
                o.updates,
                o.feed_id,
            ),
        )
        if o.ok:
            db.execute(
                "UPDATE feeds SET consecutive_errors=0, last_success_ms=?, first_success_ms=COALESCE(first_success_ms, ?),"
                " last_error=NULL, last_error_kind=NULL WHERE id=?",
                (o.now_ms, o.now_ms, o.feed_id),
            )
            if not o.not_modified:
                ttl, period, max_age = o.hints
                db.execute(
                    "UPDATE feeds SET etag=?, last_modified=?, body_sha=?, title=COALESCE(title, ?), bozo=?, ttl_s=?,"
                    " update_period_s=?, max_age_s=? WHERE id=?",
                    (
                        o.etag,
                        o.last_modified,
                        o.body_sha,
                        o.title,
                        int(o.bozo),
                        ttl,
                        period,
                        max_age,
                        o.feed_id,
                    ),
                )
        else:
            db.execute(
                "UPDATE feeds SET consecutive_errors=consecutive_errors+1, errors=errors+1, last_error=?, "
                "last_error_kind=? WHERE id=?",
                (o.error, o.error_kind, o.feed_id),
            )
        if o.sent:
            remember_seen(db, o.feed_id, o.sent, o.now_ms)
        if o.refresh:
            db.executemany(
                "UPDATE seen SET last_seen_ms=? WHERE feed_id=? AND entry_key=?",
                [(o.now_ms, o.feed_id, k) for k in o.refresh],
            )
        if o.new_url:
            clash = db.execute("SELECT id FROM feeds WHERE url=?", (o.new_url,)).fetchone()
            if clash is None:
                db.execute("UPDATE feeds SET moved_from=url, url=? WHERE id=?", (o.new_url, o.feed_id))
            else:  # already subscribed at the new address: keep that one, note the move here
                db.execute(
                    "UPDATE feeds SET last_error=? WHERE id=?",
                    (f"moved permanently to {o.new_url}, which is already in the feed list", o.feed_id),
                )
