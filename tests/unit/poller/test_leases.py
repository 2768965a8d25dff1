"""Feed leases in the state file: claim, renew, release, expiry after a poller dies, migration of older files."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from pipeline.poller import lease
from pipeline.poller.lease import LeaseKeeper, owner_id
from pipeline.poller.state import PollOutcome, StateStore

HERE = Path(__file__).parent


def _store(tmp_path: Path, feeds: int = 4) -> StateStore:
    st = StateStore(tmp_path / "s.db")
    for i in range(feeds):
        st.add_feed(f"http://h/{i}", 0)
    return st


def test_a_dead_pollers_feeds_are_due_again_after_one_lease_not_at_their_schedule(tmp_path: Path):
    st = _store(tmp_path)
    taken = lease.claim_due(st, 1_000, 10, lease_ms=30_000, owner="dead")
    assert len(taken) == 4
    assert st.due(29_999, 10) == [] and lease.claim_due(st, 29_999, 10, 30_000, "new") == []  # still leased
    assert {f.next_poll_ms for f in st.feeds()} == {0}  # the schedule itself was not pushed ahead
    assert (
        len(lease.claim_due(st, 31_000, 10, 30_000, "new")) == 4
    )  # the lease ran out: the restarted poller takes them
    assert st.next_due_ms() == 61_000


def test_commit_and_reschedule_clear_the_lease(tmp_path: Path):
    st = _store(tmp_path, 2)
    a, b = lease.claim_due(st, 1_000, 10, 30_000, "me")
    st.commit([PollOutcome(a.id, 1_500, 900_000, 200, ok=True)])
    st.reschedule(b.id, 5_000)
    assert [(f.leased_until_ms, f.lease_owner) for f in st.feeds()] == [(0, None), (0, None)]
    assert [f.url for f in st.due(5_000, 10)] == [b.url]


def test_renew_keeps_only_the_owners_leases_and_release_gives_them_back(tmp_path: Path):
    st = _store(tmp_path)
    mine = lease.claim_due(st, 1_000, 2, 30_000, "me")
    theirs = lease.claim_due(st, 1_000, 2, 30_000, "them")
    assert lease.renew(st, "me", 90_000) == 2
    by_url = {f.url: f for f in st.feeds()}
    assert {by_url[f.url].leased_until_ms for f in mine} == {90_000}
    assert {by_url[f.url].leased_until_ms for f in theirs} == {31_000}
    assert lease.release(st, "me") == 2
    assert sorted(f.url for f in lease.claim_due(st, 2_000, 10, 30_000, "other")) == sorted(
        f.url for f in mine
    )


def test_two_live_pollers_never_hold_the_same_feed(tmp_path: Path):
    """Many claims from two connections at once: every feed is held by at most one owner at any time."""
    path = tmp_path / "s.db"
    StateStore(path).close()
    stores = [StateStore(path), StateStore(path)]
    for i in range(40):
        stores[0].add_feed(f"http://h/{i}", 0)
    taken: dict[str, list[str]] = {"a": [], "b": []}

    def take(owner: str, st: StateStore) -> None:
        for _ in range(20):
            taken[owner] += [f.url for f in lease.claim_due(st, 1_000, 3, 60_000, owner)]

    threads = [threading.Thread(target=take, args=(o, s)) for o, s in zip("ab", stores, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(taken["a"]) + len(taken["b"]) == 40
    assert not set(taken["a"]) & set(taken["b"])


def test_keeper_renews_while_the_poller_lives(tmp_path: Path):
    st = _store(tmp_path, 1)
    owner = owner_id()
    lease.claim_due(st, int(time.time() * 1000), 10, 3_000, owner)
    first = st.feeds()[0].leased_until_ms
    keeper = LeaseKeeper(st, owner, lease_s=3.0)
    try:
        deadline = time.monotonic() + 10
        while st.feeds()[0].leased_until_ms <= first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert st.feeds()[0].leased_until_ms > first
    finally:
        keeper.close()


def test_an_older_state_file_is_migrated_in_place(tmp_path: Path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript((HERE / "state_before_leases.sql").read_text())
    db.commit()
    db.close()
    st, again = StateStore(path), StateStore(path)  # two openers: the second finds the columns already there
    f = st.feed("http://127.0.0.1:1/a.xml")
    assert (f.polls, f.etag, f.leased_until_ms, f.lease_owner) == (3, '"e"', 0, None)
    assert st.seen(f.id, ["g:k"])["g:k"].content_hash == "h"
    assert [g.url for g in lease.claim_due(again, 2_000, 10, 30_000, "x")] == [f.url]
    assert st.read("SELECT COUNT(*) FROM outbox", ())[0][0] == 0
