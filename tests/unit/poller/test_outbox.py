"""The ledger and outbox: what was delivered, the rules that call a broker's answer a loss, bounded storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.poller import outbox
from pipeline.poller.outbox import Acked, Found, Probe, TopicView
from pipeline.poller.state import StateStore

D1, D2 = outbox.digest(b"k1", b"v1"), outbox.digest(b"k2", b"v2")
LEDGER = {0: Probe(0, 10, D1, "id-1"), 1: Probe(1, 4, D2, "id-1")}
SAME = {0: Found(10, D1), 1: Found(4, D2)}


@pytest.mark.parametrize(
    ("view", "lost"),
    [
        (TopicView(True, "id-1", frozenset({0, 1}), {0: 0, 1: 0}, SAME), {}),
        (TopicView(False), {0: "topic_missing", 1: "topic_missing"}),
        (TopicView(True, "id-2", frozenset({0, 1})), {0: "topic_recreated", 1: "topic_recreated"}),
        # a broker without topic ids: the records decide
        (TopicView(True, None, frozenset({0, 1}), {0: 0, 1: 0}, SAME), {}),
        (TopicView(True, "id-1", frozenset({0}), {0: 0}, {0: SAME[0]}), {1: "partition_missing"}),
        # the log ends before the recorded offset (memory storage restarted, unclean leader election)
        (TopicView(True, "id-1", frozenset({0, 1}), {0: 0, 1: 0}, {0: None, 1: SAME[1]}), {0: "truncated"}),
        # offsets started again and went past ours: another record sits at the recorded offset
        (
            TopicView(True, "id-1", frozenset({0, 1}), {0: 0, 1: 0}, {0: Found(10, D2), 1: SAME[1]}),
            {0: "overwritten"},
        ),
        (
            TopicView(True, "id-1", frozenset({0, 1}), {0: 0, 1: 0}, {0: Found(3, D1), 1: SAME[1]}),
            {0: "truncated"},
        ),
        # retention deleted it (offset below the log start): not a loss
        (TopicView(True, "id-1", frozenset({0, 1}), {0: 11, 1: 0}, {1: SAME[1]}), {}),
        # compaction left a gap at the offset, later records exist: not a loss
        (TopicView(True, "id-1", frozenset({0, 1}), {0: 0, 1: 0}, {0: Found(12, D2), 1: SAME[1]}), {}),
    ],
)
def test_judge(view: TopicView, lost: dict[int, str]):
    assert outbox.judge(LEDGER, view) == lost


def _acked(offset: int, partition: int = 0, topic_id: str | None = "id-1", key: bytes = b"k") -> Acked:
    return Acked("raw", partition, offset, key, b"v%d" % offset, topic_id)


def test_acks_at_or_below_the_ledger_or_under_another_topic_id_are_suspicious():
    assert not outbox.suspicious(LEDGER, [_acked(11), _acked(5, partition=1), _acked(0, partition=7)])
    assert outbox.suspicious(LEDGER, [_acked(11), _acked(10)])
    assert outbox.suspicious(LEDGER, [_acked(11, topic_id="id-2")])
    assert not outbox.suspicious(LEDGER, [_acked(11, topic_id=None)])


def test_record_keeps_records_and_moves_the_ledger_only_forward(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    st.commit([], [_acked(5), _acked(7), _acked(2, partition=1)], now_ms=1_000)
    ledger = outbox.ledger_of(st.read, "raw")
    assert {p: (x.offset, x.topic_id) for p, x in ledger.items()} == {0: (7, "id-1"), 1: (2, "id-1")}
    assert ledger[0].digest == outbox.digest(b"k", b"v7")
    st.commit([], [_acked(6)], now_ms=2_000)  # another poller's older ack: the ledger keeps the newest
    assert outbox.ledger_of(st.read, "raw")[0].offset == 7
    st.commit(
        [], [_acked(9)], now_ms=3_000, ledger=False
    )  # kept in the outbox, ledger left for the next check
    assert outbox.ledger_of(st.read, "raw")[0].offset == 7
    assert outbox.size_of(st.read)[0] == 5


def test_mark_lost_marks_what_the_broker_no_longer_holds_and_resends_update_rows(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    st.commit([], [_acked(1, key=b"a"), _acked(2, key=b"b"), _acked(1, partition=1, key=b"c")], now_ms=1)
    still_there = {outbox.digest(b"b", b"v2")}
    with st.transaction() as db:
        assert outbox.mark_lost(db, "raw", {0}, still_there) == (2, 1)
    assert outbox.ledger_of(st.read, "raw").keys() == {1}
    rows = outbox.pending(st.read, "raw", 10)
    assert [(bytes(k), bytes(v)) for _, k, v in rows] == [(b"a", b"v1")]
    st.commit([], [Acked("raw", 0, 0, b"a", b"v1", "id-2", outbox_id=rows[0][0])], now_ms=5)
    assert outbox.pending(st.read, "raw", 10) == [] and outbox.size_of(st.read)[0] == 3  # updated, not added
    with st.transaction() as db:
        assert outbox.mark_lost(db, "raw", None, set()) == (3, 3)  # the whole topic
    assert len(outbox.pending(st.read, "raw", 10)) == 3 and outbox.ledger_of(st.read, "raw") == {}


def test_prune_by_horizon_then_by_size_oldest_first(tmp_path: Path):
    st = StateStore(tmp_path / "s.db")
    for i in range(10):
        st.commit([], [Acked("raw", 0, i, b"k%d" % i, b"x" * 98)], now_ms=1_000 * i)  # 100 bytes each
    with st.transaction() as db:
        assert outbox.prune(db, before_ms=3_000, max_bytes=10_000) == (3, 0)
    assert outbox.size_of(st.read) == (7, 700)
    with st.transaction() as db:
        assert outbox.prune(db, before_ms=0, max_bytes=450) == (0, 3)
    assert outbox.size_of(st.read) == (4, 400)
    assert [bytes(k) for _, k, _ in st.read("SELECT id, key, 0 FROM outbox ORDER BY id", ())] == [
        b"k6",
        b"k7",
        b"k8",
        b"k9",
    ]
