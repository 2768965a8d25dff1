"""Beam's state/timer specs of a DoFn, worked out once per DoFn object (pipeline/beam/dofn_specs.py): the same
answers as Beam's own function for this project's stateful and stateless DoFns, a fresh copy for every caller, and
an object made later (even at a reused id) gets its own answer."""

from __future__ import annotations

import gc

import apache_beam as beam
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import BagStateSpec, TimerSpec

from pipeline.beam.dofn_specs import cached
from pipeline.transforms.dedup.stateful import KeyedDedupTtlFn

REAL = getattr(userstate.get_dofn_specs, "__wrapped__", userstate.get_dofn_specs)


class _Stateful(beam.DoFn):
    BAG = BagStateSpec("bag", beam.coders.StrUtf8Coder())
    TIMER = TimerSpec("t", beam.TimeDomain.WATERMARK)

    def process(self, kv, bag=beam.DoFn.StateParam(BAG), timer=beam.DoFn.TimerParam(TIMER)):
        yield kv

    @userstate.on_timer(TIMER)
    def fire(self):
        return []


class _Plain(beam.DoFn):
    def process(self, x):
        yield x


def _counting():
    calls = []

    def real(dofn):
        calls.append(dofn)
        return REAL(dofn)

    return cached(real), calls


def test_answers_equal_beams_own_and_are_computed_once_per_object():
    get, calls = _counting()
    fns = [_Stateful(), _Plain(), KeyedDedupTtlFn("identity", lambda *a: None, 3600)]
    for fn in fns:
        for _ in range(5):
            assert get(fn) == REAL(fn)
    assert [type(f) for f in calls] == [_Stateful, _Plain, KeyedDedupTtlFn]
    states, timers = get(fns[0])
    assert {s.name for s in states} == {"bag"} and {t.name for t in timers} == {
        "ts-t"
    }  # (Beam names a timer spec "ts-<name>")
    assert get(fns[1]) == (set(), set())


def test_each_caller_gets_its_own_sets():
    get, _ = _counting()
    fn = _Stateful()
    states, _ = get(fn)
    states.clear()
    assert {s.name for s in get(fn)[0]} == {"bag"}


def test_a_new_object_is_asked_again():
    get, calls = _counting()
    for _ in range(3):  # ids are often reused once the previous object is gone
        fn = _Plain()
        get(fn)
        del fn
        gc.collect()
    assert len(calls) == 3


def test_beams_checks_still_see_state_once_applied():
    """Beam's own ``is_stateful_dofn`` through the patched module function."""
    from pipeline.beam.dofn_specs import apply

    apply()
    assert userstate.is_stateful_dofn(_Stateful()) and not userstate.is_stateful_dofn(_Plain())
    assert userstate.is_stateful_dofn(KeyedDedupTtlFn("identity", lambda *a: None, 3600))
