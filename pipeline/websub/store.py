"""WebSub's memory, in its own tables of the poller's SQLite state file: hub/self links per feed, subscriptions.

In: links seen by polls, subscription changes, acknowledged pushes.  Out: ``Links`` and ``Subscription`` rows.  The
tables are created here (CREATE TABLE IF NOT EXISTS); the poller's own schema (poller/state.py) is not touched,
except for ``remember_sent``, which writes pushed entries into the poller's seen-entry index so that a later poll
of the same entry is recognised as known (one raw record, not two).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from pipeline.poller.sqlite import remember_seen, write_transaction
from pipeline.websub.discover import Links
from pipeline.websub.lifecycle import Subscription

SCHEMA = """
CREATE TABLE IF NOT EXISTS websub_links (
    feed_url TEXT PRIMARY KEY,
    hubs TEXT NOT NULL,
    self_url TEXT,
    seen_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS websub_subscriptions (
    feed_url TEXT PRIMARY KEY,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL,
    state TEXT NOT NULL,
    lease_s REAL,
    requested_ms INTEGER NOT NULL DEFAULT 0,
    verified_ms INTEGER,
    expires_ms INTEGER,
    next_action_ms INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    pushes INTEGER NOT NULL DEFAULT 0,
    entries_sent INTEGER NOT NULL DEFAULT 0,
    last_push_ms INTEGER
);
"""
_COLUMNS = [f.name for f in dataclasses.fields(Subscription)]


class WebSubStore:
    """Thread-safe (one connection, one lock), like the poller's ``StateStore`` on the same file."""

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._links: dict[str, Links] = {}
        with self._lock:
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.executescript(SCHEMA)
            for url, hubs, self_url, _ in self._db.execute("SELECT * FROM websub_links"):
                self._links[url] = Links(tuple(json.loads(hubs)), self_url)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    # -- links ------------------------------------------------------------------------------------------------
    def record_links(self, feed_url: str, links: Links, now_ms: int) -> bool:
        """Remember what a poll saw; writes only when it changed.  True if it did."""
        with self._lock:
            if self._links.get(feed_url) == links:
                return False
            with self._tx() as db:
                db.execute(
                    "INSERT INTO websub_links(feed_url, hubs, self_url, seen_ms) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(feed_url) DO UPDATE SET hubs=excluded.hubs, self_url=excluded.self_url, "
                    "seen_ms=excluded.seen_ms",
                    (feed_url, json.dumps(list(links.hubs)), links.self_url, now_ms),
                )
            self._links[feed_url] = links
            return True

    def links(self) -> dict[str, Links]:
        """Every feed's links; read from the file, so a poller in another process is seen too."""
        with self._lock:
            rows = self._db.execute("SELECT feed_url, hubs, self_url FROM websub_links").fetchall()
            self._links = {url: Links(tuple(json.loads(h)), s) for url, h, s in rows}
            return dict(self._links)

    # -- subscriptions ----------------------------------------------------------------------------------------
    def _subs(self, where: str = "", args: Iterable[object] = ()) -> list[Subscription]:
        with self._lock:
            cur = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM websub_subscriptions {where}", tuple(args)
            )
            return [Subscription(*row) for row in cur.fetchall()]

    def subscriptions(self) -> list[Subscription]:
        return self._subs("ORDER BY feed_url")

    def by_token(self, token: str) -> Subscription | None:
        rows = self._subs("WHERE token=?", (token,))
        return rows[0] if rows else None

    def by_feed(self, feed_url: str) -> Subscription | None:
        rows = self._subs("WHERE feed_url=?", (feed_url,))
        return rows[0] if rows else None

    def put(self, sub: Subscription) -> None:
        values = [getattr(sub, c) for c in _COLUMNS]
        with self._tx() as db:
            db.execute(
                f"INSERT OR REPLACE INTO websub_subscriptions({', '.join(_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_COLUMNS))})",
                values,
            )

    def update(self, feed_url: str, token: str, **changes: object) -> Subscription | None:
        """Change some fields of the subscription with this token (a newer one for the feed is left alone)."""
        sets = ", ".join(f"{k}=?" for k in changes)
        with self._tx() as db:
            db.execute(
                f"UPDATE websub_subscriptions SET {sets} WHERE feed_url=? AND token=?",
                (*changes.values(), feed_url, token),
            )
        sub = self.by_feed(feed_url)
        return sub if sub is not None and sub.token == token else None

    def delete(self, feed_url: str, token: str | None = None) -> None:
        with self._tx() as db:
            if token is None:
                db.execute("DELETE FROM websub_subscriptions WHERE feed_url=?", (feed_url,))
            else:
                db.execute("DELETE FROM websub_subscriptions WHERE feed_url=? AND token=?", (feed_url, token))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM websub_subscriptions GROUP BY state"
            ).fetchall()
        return dict(rows)

    # -- pushes -----------------------------------------------------------------------------------------------
    def remember_sent(
        self, feed_id: int, token: str, sent: list[tuple[str, str, str | None]], now_ms: int
    ) -> None:
        """After Kafka acked a push: the entries join the poller's seen index (the same upsert a poll commits)
        and the subscription counts the push, in one transaction."""
        with self._tx() as db:
            remember_seen(db, feed_id, sent, now_ms)
            db.execute(
                "UPDATE websub_subscriptions SET pushes=pushes+1, entries_sent=entries_sent+?, last_push_ms=? "
                "WHERE token=?",
                (len(sent), now_ms, token),
            )
