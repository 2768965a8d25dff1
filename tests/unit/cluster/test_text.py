"""The compiled token tables (_text.Vocabulary) give what the definition gives: every token of
``text.replace("-", " ").replace("/", " ").split()`` with its entry, whatever the text's characters, the table's
size, its clearing at the limit, or threads sharing it."""

from __future__ import annotations

import array
import threading
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.transforms.cluster import _native, tokens
from pipeline.transforms.cluster.tokens import _token, stopwords

TEXT = tokens.TEXT
SEPARATORS = [" ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u3000", "\x1c", "-", "/", " - ", "--", "/ "]
WORDS = ["Putin", "Poutine", "Łukaszenka", "Лукашенко", "président", "l'Ukraine", "«Nein»", "2.500", "Zelenskyy", "𝔘𝔫𝔦",
         "東京", "e\u0301", "é", "x", "(AFP)", "Merkel-Nachfolger", "ESA/ATG", "Kyiv.", "Kyiv"]  # fmt: skip
TEXTS = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(SEPARATORS),
        st.text(
            min_size=1, max_size=8
        ),  # any code point: ASCII, Latin-1, BMP and astral strings, other spaces
    ),
    max_size=80,
).map("".join)


def by_definition(text: str, lang: str | None) -> list[tokens.Token]:
    stop = stopwords(lang)
    return [_token(raw, stop, lang) for raw in text.replace("-", " ").replace("/", " ").split()]


def vocabulary(lang: str | None, limit: int = tokens.MAX_TABLE):
    return TEXT.Vocabulary(partial(_token, stop=stopwords(lang), lang=lang), limit, _native.pack_entry)


def unpacked(packed, entries: list) -> list[tokens.Token]:
    """``Vocabulary.packed``'s tokens back as entries, each checked against the ints packed with it."""
    out = []
    for k in range(0, len(packed), 3):
        entry = entries[packed[k + 2]]
        assert (packed[k], packed[k + 1]) == _native.pack_entry(entry), entry
        out.append(entry)
    return out


def test_the_compiled_tables_are_built_and_used() -> None:
    assert TEXT is not None, "setup.py did not build pipeline/transforms/cluster/_text (Cython, a C compiler)"
    tokens.token_entries("Poutine à Minsk", "fr")
    assert isinstance(tokens._VOCABULARIES["fr"], TEXT.Vocabulary)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=4), lang=st.sampled_from(["en", "fr", "de", None]))
def test_entries_are_the_definitions(texts: list[str], lang: str | None) -> None:
    """One table over several texts: tokens met before come from the table, new ones are computed."""
    table, packing = vocabulary(lang), vocabulary(lang)
    for text in texts:
        assert table.entries_of(text) == by_definition(text, lang)
        assert unpacked(*packing.packed(text)) == by_definition(text, lang)
    assert sorted(table.tokens) == sorted(
        {t for text in texts for t in text.replace("-", " ").replace("/", " ").split()}
    )


def test_a_table_that_grows_and_is_cleared_still_finds_every_token() -> None:
    """Thousands of distinct tokens (the slots grow from 1,024), then past the limit (cleared, as the Python table)."""
    words = [f"Wort{i} wort{i}. «{i}ä» Ж{i} 𝔘{i}" for i in range(3_000)]
    text = " ".join(words)
    table = vocabulary("de", limit=50_000)
    assert table.entries_of(text) == by_definition(text, "de")
    assert len(table) == len(set(text.split())) > 10_000
    assert table.entries_of(text[::-1]) == by_definition(text[::-1], "de")
    assert unpacked(*table.packed(text)) == by_definition(text, "de")
    small = vocabulary("de", limit=100)
    for i in range(0, 3_000, 30):
        chunk = " ".join(words[i : i + 30])
        assert small.entries_of(chunk) == by_definition(chunk, "de")
        assert len(small) == len(set(chunk.split()))  # cleared before each text: every text is over the limit
        assert unpacked(*small.packed(chunk[::-1])) == by_definition(chunk[::-1], "de")
        assert len(small) == len(set(chunk[::-1].split()))


def test_threads_sharing_a_table_get_their_own_texts_entries() -> None:
    """A Dataflow worker runs bundles in several threads: a new token's entry is computed in Python, where another
    thread may insert tokens (and grow or clear the table) meanwhile."""
    words = ["Putin", "Ж", "é", "𝔘"] * 3
    texts = [" ".join(f"{w}{k}x{i}" for i in range(300)) for k, w in enumerate(words)]
    stop = stopwords("en")
    computing = [True]

    def yielding(raw: str) -> tokens.Token:
        assert computing[0], f"{raw!r} was in the table but not found"
        threading.Event().wait(0.0002)  # another thread runs meanwhile
        return _token(raw, stop, "en")

    table = TEXT.Vocabulary(yielding, 2_000, _native.pack_entry)  # grown, and cleared once or more
    want = [by_definition(t, "en") for t in texts]
    barrier = threading.Barrier(4)
    got: dict[int, list] = {}

    def work(k: int) -> None:
        barrier.wait()  # two threads read entries, two packed ints (a clear meanwhile makes those start again)
        got[k] = [table.entries_of(t) if k % 2 else unpacked(*table.packed(t)) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(got.get(k) == want for k in range(4))
    # the table is whole: each token once, and found without computing it again
    assert len(set(table.tokens)) == len(table.tokens) == len(table.entries) > 100
    computing[0] = False
    assert table.entries_of(" ".join(table.tokens)) == table.entries


def test_word_keys_are_computed_by_the_compiled_rules() -> None:
    """names.word_key runs the compiled rules where _text is built (test_names.py: the same keys as RULES)."""
    from pipeline.transforms.cluster import names

    assert names.word_key.__wrapped__ is not names._word_key
    assert names.word_key.__wrapped__("Loukachenko") == names._word_key("Loukachenko") == "lukasenk"


def test_packed_tokens_out_of_range_are_refused() -> None:
    """``assemble_packed`` reads the entries list at the indices it is given: a bad one is an error, not a read."""
    entries = by_definition("Putin besucht Minsk", "de")
    good = array.array("i", [x for k, e in enumerate(entries) for x in (*_native.pack_entry(e), k)])
    args = (True, tokens.code_of, [], 96, 5, 1, 5)
    assert _native.assemble_packed(good, entries, *args) == _native.assemble(entries, *args)
    for bad in ([0, 0, len(entries)], [0, 0, -1], [70_000, 0, 0]):
        with pytest.raises(ValueError):
            _native.assemble_packed(array.array("i", bad), entries, *args)
    with pytest.raises(TypeError):
        _native.assemble_packed(array.array("l", bad), entries, *args)
