from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from pipeline.poller import lease
from pipeline.poller.state import PollOutcome, StateStore, _retry_busy


def test_feed_list_and_schedule(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    assert st.add_feed("http://a/", 1000, title="A")
    assert not st.add_feed("http://a/", 2000, interval_s=60)
    st.add_feed("http://b/", 5000)
    assert [f.url for f in st.due(1500, 10)] == ["http://a/"]
    assert st.feed("http://a/").interval_s == 60 and st.feed("http://a/").title == "A"
    assert st.remove_feed("http://b/") and not st.remove_feed("http://b/")
    st.close()


def test_commit_advances_validators_index_and_counters(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    st.add_feed("http://a/", 0)
    fid = st.feed("http://a/").id
    st.commit(
        [
            PollOutcome(
                fid,
                10_000,
                20_000,
                200,
                ok=True,
                etag='"e1"',
                last_modified="lm",
                body_sha="x",
                sent=[("k1", "h1", "http://a/1"), ("k2", "h2", None)],
                wire_bytes=500,
            )
        ]
    )
    f = st.feed("http://a/")
    assert (f.etag, f.last_modified, f.next_poll_ms, f.entries_sent, f.bytes) == (
        '"e1"',
        "lm",
        20_000,
        2,
        500,
    )
    assert set(st.seen(fid, ["k1", "k2", "k3"])) == {"k1", "k2"}
    assert st.keys_by_link(fid, ["http://a/1"]) == {"http://a/1": "k1"}
    st.commit([PollOutcome(fid, 11_000, 30_000, 503, ok=False, error="HTTP 503", error_kind="http_5xx")])
    f = st.feed("http://a/")
    assert f.consecutive_errors == 1 and f.etag == '"e1"' and f.last_error_kind == "http_5xx"
    st.commit(
        [
            PollOutcome(
                fid,
                12_000,
                40_000,
                None,
                ok=False,
                error="delivery: x",
                error_kind="delivery",
                delivery_failed=True,
            )
        ]
    )
    assert st.feed("http://a/").consecutive_errors == 1  # the broker's fault is not the feed's
    st.commit([PollOutcome(fid, 13_000, 50_000, 304, ok=True, not_modified=True)])
    f = st.feed("http://a/")
    assert f.consecutive_errors == 0 and f.not_modified == 1 and f.polls == 3 and f.etag == '"e1"'


def test_seen_index_is_bounded_in_time(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    st.add_feed("http://a/", 0)
    fid = st.feed("http://a/").id
    st.commit([PollOutcome(fid, 1_000, 0, 200, ok=True, sent=[("old", "h", None)])])
    st.commit([PollOutcome(fid, 9_000, 0, 200, ok=True, sent=[("new", "h", None)])])
    assert st.prune_seen(5_000) == 1
    assert set(st.seen(fid, ["old", "new"])) == {"new"}
    assert st.new_entries_since(fid, 0) == 1


def test_permanent_redirect_moves_the_feed(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    st.add_feed("http://old/", 0)
    fid = st.feed("http://old/").id
    st.commit([PollOutcome(fid, 1, 2, 200, ok=True, new_url="http://new/")])
    assert st.feed("http://old/") is None and st.feed("http://new/").moved_from == "http://old/"


def _writer(path: str, n: int) -> None:
    st = StateStore(path)
    st.add_feed("http://a/", 0)
    fid = st.feed("http://a/").id
    for i in range(n):
        st.commit([PollOutcome(fid, i, i, 200, ok=True, sent=[(f"k{os.getpid()}-{i}", "h", None)])])
        if i == n // 2:
            os.kill(os.getpid(), signal.SIGKILL)


def test_survives_kill_9_and_concurrent_writers(tmp_path: Path):
    path = str(tmp_path / "s.db")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, 200)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == -signal.SIGKILL for p in procs)
    st = StateStore(path)
    fid = st.feed("http://a/").id
    pids = [p.pid for p in procs]
    keys = [f"k{pid}-{i}" for pid in pids for i in range(101)]
    assert len(st.seen(fid, keys)) == 202  # every committed poll up to the kill is there, from both processes
    assert st._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_two_pollers_on_one_file_do_not_take_the_same_feeds(tmp_path: Path):
    a, b = StateStore(tmp_path / "s.db"), StateStore(tmp_path / "s.db")
    for i in range(10):
        a.add_feed(f"http://h/{i}", 0)
    first, second = lease.claim_due(a, 100, 6, lease_ms=60_000), lease.claim_due(b, 100, 6, lease_ms=60_000)
    assert len(first) == 6 and len(second) == 4
    assert not {f.url for f in first} & {f.url for f in second}
    assert (
        lease.claim_due(a, 100, 10, 60_000) == [] and len(lease.claim_due(a, 60_100, 10, 60_000)) == 10
    )  # leases run out


def test_opening_retries_while_sqlite_answers_busy_at_once():
    """SQLite can return SQLITE_BUSY for the WAL switch without calling the busy handler (two pollers opening a fresh
    file together failed this way in CI); opening retries that, and only that, for a bounded time."""
    calls: list[str] = []

    def locked_twice() -> None:
        calls.append("try")
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")

    _retry_busy(locked_twice)
    assert len(calls) == 3

    def other_error() -> None:
        calls.append("try")
        raise sqlite3.OperationalError("no such table: feeds")

    calls.clear()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        _retry_busy(other_error)
    assert len(calls) == 1  # not a lock: not retried

    def always_locked() -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _retry_busy(always_locked, deadline_s=0.05)  # gives up after its deadline
