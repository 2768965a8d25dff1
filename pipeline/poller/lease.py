"""Feed leases: which live poller works on which feed, so a dead one strands nothing for long.

In: the state file (``leased_until_ms``/``lease_owner`` of each feed) and this process's owner id.  Out: the due
feeds claimed for this owner in one transaction, and a background thread that renews the owner's leases every third of
a lease period while the process lives.  A poller killed mid-round stops renewing; its feeds are due again one lease
period later (``lease_s``), whatever their next scheduled poll.  Committing a poll (state.py) clears its lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from pipeline.poller.state import COLUMNS, FeedState, StateStore

log = logging.getLogger(__name__)


def owner_id() -> str:
    """Unique per process start: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_due(store: StateStore, now_ms: int, limit: int, lease_ms: int, owner: str = "") -> list[FeedState]:
    """Take the due, unleased feeds for ``owner`` until ``now_ms + lease_ms`` in one transaction, so another poller on
    the same file does not take them too.  The schedule is left alone: a poller that dies lets its leases run out and
    the feeds are due again one lease period later, not at their next scheduled time."""
    with store.transaction() as db:
        cur = db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM feeds WHERE next_poll_ms <= ? AND leased_until_ms <= ? "
            "ORDER BY next_poll_ms LIMIT ?",
            (now_ms, now_ms, limit),
        )
        feeds = [FeedState(*row) for row in cur.fetchall()]
        db.executemany(
            "UPDATE feeds SET leased_until_ms=?, lease_owner=? WHERE id=?",
            [(now_ms + lease_ms, owner, f.id) for f in feeds],
        )
    return feeds


def renew(store: StateStore, owner: str, until_ms: int) -> int:
    """Extend every lease ``owner`` still holds (a live poller keeps its feeds however long the round takes)."""
    with store.transaction() as db:
        return db.execute(
            "UPDATE feeds SET leased_until_ms=? WHERE lease_owner=? AND leased_until_ms > 0",
            (until_ms, owner),
        ).rowcount


def release(store: StateStore, owner: str) -> int:
    """Give back what ``owner`` still holds (end of a round, clean shutdown): those feeds are due again now."""
    with store.transaction() as db:
        return db.execute(
            "UPDATE feeds SET leased_until_ms=0, lease_owner=NULL WHERE lease_owner=?", (owner,)
        ).rowcount


class LeaseKeeper:
    """Renews ``owner``'s leases until ``close``; a renewal that fails is logged and tried again next time."""

    def __init__(self, state: StateStore, owner: str, lease_s: float, clock: Callable[[], float] = time.time):
        self.state, self.owner, self.lease_s, self.clock = state, owner, lease_s, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()

    @property
    def lease_ms(self) -> int:
        return int(self.lease_s * 1000)

    def _run(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                renew(self.state, self.owner, int(self.clock() * 1000) + self.lease_ms)
            except Exception:  # the state file busy for longer than its timeout: the next renewal may work
                log.warning("renewing feed leases failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
