"""The SQLite pieces both stores on the poller's state file share (poller/state.py, websub/store.py).

One connection per store, serialised by the store's lock; writers take SQLite's write lock up front (BEGIN
IMMEDIATE) so that two processes on the same file wait on each other instead of failing half way; the ``seen``
upsert is the one statement that marks entries as delivered, whichever path (poll or WebSub push) delivered them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SEEN_UPSERT = (
    "INSERT INTO seen(feed_id, entry_key, content_hash, link, first_seen_ms, last_seen_ms) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(feed_id, entry_key) DO UPDATE SET "
    "content_hash=excluded.content_hash, link=excluded.link, last_seen_ms=excluded.last_seen_ms"
)


def remember_seen(
    db: sqlite3.Connection, feed_id: int, sent: list[tuple[str, str, str | None]], now_ms: int
) -> None:
    """Entries Kafka acknowledged, as (entry key, content hash, link), join the feed's seen index."""
    db.executemany(SEEN_UPSERT, [(feed_id, k, h, link, now_ms, now_ms) for k, h, link in sent])


@contextmanager
def write_transaction(db: sqlite3.Connection, lock: threading.RLock) -> Iterator[sqlite3.Connection]:
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
