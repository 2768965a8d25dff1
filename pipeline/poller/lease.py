"""Feed leases: which live poller works on which feed, so a dead one strands nothing for long.

In: the state file and this process's owner id.  Out: a background thread that renews the owner's leases every third
of a lease period while the process lives.  A poller killed mid-round stops renewing; its feeds are due again one
lease period later (``lease_s``), whatever their next scheduled poll.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from pipeline.poller.state import StateStore

log = logging.getLogger(__name__)


def owner_id() -> str:
    """Unique per process start: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
                self.state.renew_leases(self.owner, int(self.clock() * 1000) + self.lease_ms)
            except Exception:  # the state file busy for longer than its timeout: the next renewal may work
                log.warning("renewing feed leases failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
