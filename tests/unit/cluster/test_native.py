"""The compiled loops (_native.pyx) give what the Python code gives: the same signatures, the same overlap counts,
also after a call that failed and with several threads at once, and the same index decisions and tables."""

from __future__ import annotations

import random
import threading
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.transforms.cluster import signals, tokens
from pipeline.transforms.cluster.signals import of_enriched, signature
from pipeline.transforms.cluster.tokens import code_of, token_entries
from tests.unit.cluster.records import enriched

NATIVE = signals.NATIVE
WORDS = [
    "Putin", "Poutine", "Lukaschenko", "Minsk", "Kyiv", "Moskau", "Gesundheitsminister", "Bundesregierung", "the",
    "la", "und", "président", "said", "Reuters", "Berlin", "Polens", "l'Ukraine", "«Nein»", "(AFP)", "2.500", "1,200",
    "2022", "Merkel-Nachfolger", "ESA/ATG", "Dwayne", "Johnson", "Heiko", "Maas", "mln", "dlrs", "pct", "Zelenskyy",
]  # fmt: skip
TEXT = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.text(alphabet="abcdeÄÖÜäöüßéçłżPMKZ .,;:!?\"'«»()-/0123456789", min_size=1, max_size=12),
    ),
    max_size=300,
).map(" ".join)
LANG = st.sampled_from(["en", "fr", "de", "pl", "es", None, "xx"])


def python_signature(*args, **kwargs):
    """The same call with the compiled loops and token tables switched off."""
    keep = signals.NATIVE, tokens.TEXT
    signals.NATIVE = tokens.TEXT = None
    try:
        return signature(*args, **kwargs)
    finally:
        signals.NATIVE, tokens.TEXT = keep


def test_the_compiled_loops_are_built() -> None:
    """`make install` (pip install -e .) compiles _native.pyx: a fresh clone runs the fast path."""
    assert NATIVE is not None, (
        "setup.py did not build pipeline/transforms/cluster/_native (Cython, a C compiler)"
    )


@settings(max_examples=300, deadline=None)
@given(
    head=TEXT,
    body=TEXT,
    lang=LANG,
    entities=st.lists(st.sampled_from(WORDS + ["Vladimir Poutine"]), max_size=6),
)
def test_signature_is_the_python_one(head: str, body: str, lang: str | None, entities: list[str]) -> None:
    args = ("item", "story", head, body, lang, 1_000, entities, ("UA",), "Kyiv", "Reuters", "outlet")
    native, python = signature(*args), python_signature(*args)
    assert native == python
    assert native.sequence == python.sequence and native.terms.typecode == python.terms.typecode == "H"


def test_signatures_of_the_story_variants_are_the_python_ones() -> None:
    """The seed and the Kyiv power story in seven languages, each with the entity names NER would add."""
    names = [f"{s}-{lang}" for s in ("seed", "kyiv") for lang in ("en", "fr", "de", "es", "it", "pl", "pt")]
    for name in names:
        e = enriched(name)
        d = e.dispatch
        args = (d.id, d.story_id, d.headline, d.body, e.enrichment.language, 1, ["Vladimir Poutine", "Minsk"])
        assert signature(*args) == python_signature(*args)
        assert of_enriched(e).terms  # (a real text: something to compare)


def test_shared_counts_are_the_intersections() -> None:
    rng = random.Random(5)
    for _ in range(500):
        own = array("H", sorted(set(rng.sample(range(65536), rng.randint(0, 120)))))
        others = [
            array("H", sorted(set(rng.sample(range(65536), rng.randint(0, 120))) | set(rng.sample(own, len(own) // 2))))
            for _ in range(rng.randint(0, 12))
        ]  # fmt: skip
        assert NATIVE.shared_counts(own, others) == [len(set(own) & set(o)) for o in others]
    with pytest.raises(TypeError):
        NATIVE.shared_counts(array("I", [1]), [])


def test_a_failed_call_leaves_the_tables_clean() -> None:
    """A call stopped half way (a code out of range) must not leave counts behind for the next record."""
    text = "Vladimir Putin besucht Minsk. Putin und Lukaschenko sprechen in Minsk über die Ukraine und Putin."
    entries = token_entries(text, "de")
    want = NATIVE.assemble(entries, True, code_of, [], 96, 5, 1, 5)
    bad = [*entries[:10], ("x", False, 0, False, False, False, 70_000, (), ())]
    with pytest.raises(ValueError, match="16-bit"):
        NATIVE.assemble(bad, True, code_of, [], 96, 5, 1, 5)

    def failing_code_of(key: str) -> int:
        raise RuntimeError("boom")  # fails at the first name pair, after every token was counted

    with pytest.raises(RuntimeError):
        NATIVE.assemble(entries, True, failing_code_of, [], 96, 5, 1, 5)
    assert NATIVE.assemble(entries, True, code_of, [], 96, 5, 1, 5) == want


def test_threads_at_once_get_their_own_tables() -> None:
    """A Dataflow worker runs bundles in several threads of one process: calls that interleave (here each thread
    gives up the interpreter inside every call, at its name pairs) must still count only their own record."""
    texts = [f"Heiko Maas trifft Dwayne Johnson in Berlin. {w} {w} Minsk Kyiv Zelenskyy Merkel {i}" for i, w in
             enumerate(["Putin", "Poutine", "Lukaschenko", "Gesundheitsminister"] * 3)]  # fmt: skip
    want = [NATIVE.assemble(token_entries(t, "de"), True, code_of, [], 96, 5, 1, 5) for t in texts]
    barrier = threading.Barrier(4)
    got: dict[int, list] = {}

    def yielding_code_of(key: str) -> int:
        threading.Event().wait(0.001)  # another thread runs its own call meanwhile
        return code_of(key)

    def work(k: int) -> None:
        barrier.wait()
        got[k] = [
            NATIVE.assemble(token_entries(t, "de"), True, yielding_code_of, [], 96, 5, 1, 5) for t in texts
        ]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(got[k] == want for k in range(4))


def test_the_index_decides_and_registers_as_the_python_code() -> None:
    """``ClusterIndex.decide``/``add`` and ``link.best_links`` through the compiled loops and through the Python ones,
    record by record: the same decisions and the same tables, inside bundles (writes over the table) that are
    committed or rolled back, with entries ageing out of the horizon and items offered again."""
    from pipeline.transforms.cluster.index import ClusterIndex
    from pipeline.transforms.cluster.link import Entry

    rng = random.Random(23)
    now = [1_000.0]
    compiled, python = (ClusterIndex(horizon_s=600, clock=lambda: now[0]) for _ in range(2))
    pool, keys = list(range(1, 200)), [f"k:{k}" for k in range(40)]
    items: list[signals.Signature] = []
    seen = {"links": 0, "merges": 0, "rollbacks": 0}

    def python_call(method, *args):
        keep, signals.NATIVE = signals.NATIVE, None
        try:
            return method(*args)
        finally:
            signals.NATIVE = keep

    for step in range(1_500):
        if step % 37 == 0:
            for index in (compiled, python):
                index.begin()
        elif step % 37 == 36:
            undo = rng.random() < 0.3
            seen["rollbacks"] += undo
            for index in (compiled, python):
                index.rollback() if undo else index.commit()
        now[0] += rng.choice([0, 1, 30, 60, 120])  # (whole minutes: entries exactly at the horizon too)
        if items and rng.random() < 0.1:
            sig = rng.choice(items)  # offered again (a replay)
        else:
            terms = array("H", sorted(set(rng.sample(pool, rng.choice([5, 20, 60])))))
            sig = signals.Signature(
                f"i{step}", f"s{rng.randint(0, 60)}", rng.choice(["en", "fr", None]), int(now[0] * 1000), terms,
                bytes(rng.choice([0, 1, 2, 3]) for _ in terms), frozenset(rng.sample(["150", "2500", "999"], rng.randint(0, 3))),
                frozenset(), None, None, rng.choice([None, "x.com", "y.com"]), tuple(rng.sample(keys, rng.randint(1, 6))),
                terms,
            )  # fmt: skip
            items.append(sig)
        now_ms = int(now[0] * 1000)
        got = compiled.decide(sig, now_ms)
        want = python_call(python.decide, sig, now_ms)
        assert got == want, step
        seen["links"] += got.score > 0
        seen["merges"] += bool(got.merged)
        compiled.add(Entry(sig, got.cluster_id, now_ms), now_ms)
        python_call(python.add, Entry(sig, want.cluster_id, now_ms), now_ms)
        assert dict(compiled.blocks) == dict(python.blocks) and dict(compiled.items) == dict(python.items), (
            step
        )
    assert seen["links"] > 200 and seen["merges"] > 20 and seen["rollbacks"] > 3, seen
