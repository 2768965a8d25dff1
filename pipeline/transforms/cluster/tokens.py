"""Text -> word keys, name keys and how rare each word is: the cluster stage's hottest code.

In: a record's text and language.  Out: counts of its content-word keys (``terms``: spelling-insensitive keys from
names.word_key, places by a language-independent key, two names in a row as one more key, a German compound's parts),
counts of its name keys (capitalised words inside sentences), the rarity tier of every key (``tier_of``), each key as
its 16-bit code (``code_of``), the tokens that hold digits, and the content keys' codes in text order.

Everything that depends only on a token as written (its key, whether it can be part of a name, its tier, whether it
ends a sentence, opens a quote, ends in punctuation, its compound parts) is computed once per distinct token and
language and kept in a bounded table, so a record costs one table lookup per token plus a few comprehensions.
"""

from __future__ import annotations

import importlib.util
import re
import zlib
from array import array
from collections import Counter
from functools import lru_cache, partial
from itertools import chain, compress, pairwise
from operator import itemgetter
from pathlib import Path

from pipeline.transforms.cluster.compounds import split as split_compound
from pipeline.transforms.cluster.names import word_key
from pipeline.transforms.enrich import cache
from pipeline.transforms.enrich.gazetteer import shared as shared_gazetteer

try:  # compiled token tables (_text.pyx, where setup.py built it): the same entries, 33 -> 15 us a bench record
    from pipeline.transforms.cluster import _native
    from pipeline.transforms.cluster import _text as TEXT
except ImportError:  # not built: the Python tables below
    TEXT = None

LANGS = ("en", "fr", "de", "es", "it", "pl", "pt", "nl", "tr", "ru")
COMMON_ZIPF = (
    5.0  # a word at least this frequent in its language (wordfreq's zipf scale) is not event evidence
)
CITY_POPULATION = 500_000  # cities whose names in other languages the gazetteer knows
MAX_TABLE = 200_000  # cached tokens per language, keys' codes (each cleared when full)
# a German compound's part: never a blocking key (signals.BLOCK_TIER), a middle word's weight across languages
PART_TIER = 2
_PUNCT = ".,;:!?\"'“”„«»‹›()[]{}…‘’*/–—-"
_OPENING = frozenset("\"“„«‹(['‘–—-")
_ENDING = frozenset(".!?:;")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d(?:[\d.,\u00a0\u202f]*\d)?")
_NO_SEPARATORS = str.maketrans("", "", ".,\u00a0\u202f")
# token as written -> (key, can be part of a name, tier, ends a sentence, opens a quote, ends in punctuation,
# the key's code (-1: no key), its numbers (numbers_in), a German compound's parts as (code, tier) pairs)
Token = tuple[str, bool, int, bool, bool, bool, int, tuple[str, ...], tuple[tuple[int, int], ...]]
_START: Token = ("", False, 3, True, False, True, -1, (), ())
_TABLES: dict[str | None, dict[str, Token]] = {}
_VOCABULARIES: dict[str | None, object] = {}  # the compiled tables (_text.Vocabulary), where TEXT is built
_CODES: dict[str, int] = {}
_KEY, _CAP, _TIER, _CODE, _NUMBERS = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(6), itemgetter(7)
_PARTS = itemgetter(8)


def _build_lists(code: str) -> tuple[frozenset[str], dict[str, float]]:
    """spaCy's stop words for ``code`` (``spacy/lang/<code>/stop_words.py``, plain sets in the spaCy wheel, read
    from their files without importing spaCy) and wordfreq's small list (word -> frequency): plain values."""
    from wordfreq import get_frequency_dict

    spec = importlib.util.find_spec("spacy")
    root = Path(next(iter(spec.submodule_search_locations or ()))) if spec else None
    words: frozenset[str] = frozenset()
    path = root / "lang" / code / "stop_words.py" if root else None
    if path is not None and path.is_file():
        loader = importlib.util.spec_from_file_location(f"_cluster_stop_{code}", path)
        module = importlib.util.module_from_spec(loader)  # type: ignore[arg-type]
        loader.loader.exec_module(module)  # type: ignore[union-attr]
        words = frozenset(w.casefold() for w in module.STOP_WORDS)
    return words, get_frequency_dict(code, wordlist="small")


@lru_cache(maxsize=1)
def _lists_key() -> str:
    """The cache key of every language's lists: this file and the two packages' versions (read once a process)."""
    return cache.key(Path(__file__).read_bytes(), packages=("wordfreq", "spacy"))


@lru_cache(maxsize=len(LANGS))
def _lists(code: str) -> tuple[frozenset[str], dict[str, float]]:
    """``_build_lists(code)`` from a cache file (enrich/cache.py): importing wordfreq alone cost each process that
    clusters ~0.3 s of CPU (its tokenizer's regexes, langcodes, ftfy), reading the file ~5 ms."""
    return cache.cached(f"cluster-words-{code}", _lists_key(), lambda: _build_lists(code))


@lru_cache(maxsize=32)
def stopwords(lang: str | None) -> frozenset[str]:
    """Words that say nothing about an event: spaCy's stop words plus the language's common words by wordfreq's
    small list (zipf >= ``COMMON_ZIPF``: "said", "company", "year", "président").  All of ``LANGS`` when unknown."""
    words: set[str] = set()
    cutoff = 10 ** (COMMON_ZIPF - 9)
    for code in (lang,) if lang in LANGS else LANGS:
        stop, frequencies = _lists(code)
        words |= stop
        words |= {w for w, f in frequencies.items() if f >= cutoff}
    return frozenset(words)


@lru_cache(maxsize=16)
def frequent(lang: str | None) -> dict[str, float]:
    """Word -> frequency, wordfreq's small list for ``lang`` (zipf >= 3: frequent enough to be a common word)."""
    return _lists(lang)[1] if lang in LANGS else {}


def tier_of(word: str, lang: str | None) -> int:
    """0 = rare (zipf < 3, not in the small list), 1 = zipf < 4, 2 = zipf < 4.5, 3 = common (link.WEIGHTS)."""
    f = frequent(lang).get(word, 0.0)
    return 0 if f < 1e-6 else 1 if f < 1e-5 else 2 if f < 10**-4.5 else 3


def place_key(token: str) -> str:
    """Language-independent key of a country or large city named by one word ("" when it names none)."""
    g = shared_gazetteer()
    country = g.country(token)
    if country is not None:
        return f"iso{country.country.lower()}"
    for city in g.cities(token)[:1]:
        if city.population >= CITY_POPULATION:
            return word_key(city.name.casefold())
    return ""


def key_of(core: str, stop: frozenset[str], lang: str | None) -> tuple[str, bool, int]:
    """(word key, may be part of a name, rarity tier) of one token without its punctuation ("" for stop words,
    short words, non-words).  A capitalised token that names a country or a city of ``CITY_POPULATION`` or more in
    any of the gazetteer's languages gets that place's key ("Polen", "Poland", "Pologne" -> ``isopl``; "Moskau",
    "Moscou" -> the key of "Moscow"; German genitives "Polens", "Warschaus" too), so places match across languages.
    In German every noun is capitalised: there a capitalised word is a name only when it is rare in German (zipf < 3)
    or common in English ("Ghosn", "Trump", "Renault"; not "Grenzen", "Umfrage"; German first names are lost)."""
    if "'" in core or "’" in core:  # French/Italian elision: l'Ukraine, dell'Ucraina
        core = core.replace("’", "'").rsplit("'", 1)[-1]
    if len(core) < (3 if core[:1].isupper() else 4) or not core.isalpha():
        return "", False, 0
    low = core.casefold()
    if low in stop:
        return "", False, 0
    tier = tier_of(low, lang)
    if core[0].isupper():
        place = place_key(core) or (place_key(core[:-1]) if lang == "de" and core[-1] == "s" else "")
        if place:
            return place, True, tier
    key = word_key(low)
    if len(key) < 3:
        return "", False, 0
    return key, lang != "de" or low not in frequent(lang) or low in frequent("en"), tier


def code_of(key: str) -> int:
    """A key's 16-bit code (crc32, stable across processes and runs): two keys share one once in 65,536."""
    code = _CODES.get(key)
    if code is None:
        if len(_CODES) > MAX_TABLE:
            _CODES.clear()
        code = _CODES[key] = zlib.crc32(key.encode()) & 0xFFFF
    return code


def numbers_in(text: str) -> tuple[str, ...]:
    """Numbers of three or more digits, separators dropped ("20,000" and "20.000" alike), years left out: one- and
    two-digit numbers (dates, counts, "30 cts vs 40 cts") and years are shared by unrelated stories all the time.
    A number never spans whitespace, so the numbers of a text are those of its tokens (kept per token)."""
    found = [m.translate(_NO_SEPARATORS).lstrip("0") for m in _NUMBER.findall(text)]
    return tuple(x for x in found if len(x) >= 3 and not (len(x) == 4 and x[:2] in ("19", "20")))


def _token(raw: str, stop: frozenset[str], lang: str | None) -> Token:
    numbers = numbers_in(raw) if not raw.isalpha() and _DIGIT.search(raw) is not None else ()
    core = raw.strip(_PUNCT)
    if not core:
        return ("", False, 3, raw[-1] in _ENDING, raw[0] in _OPENING, True, -1, numbers, ())
    key, nameable, tier = key_of(core, stop, lang)
    cap = bool(key) and nameable and core[0].isupper()
    code = code_of(key) if key else -1
    parts = _parts(core, stop) if lang == "de" and key else ()
    return (key, cap, tier, raw[-1] in _ENDING, raw[0] in _OPENING, raw[-1] in _PUNCT, code, numbers, parts)


def _parts(core: str, stop: frozenset[str]) -> tuple[tuple[int, int], ...]:
    """(code, tier) of each part of a German compound ("Gesundheitsminister": gesundheit, minister), stop words out."""
    out = []
    for part in split_compound(core.casefold(), frequent("de")):
        key = word_key(part)
        if part not in stop and len(key) >= 3:
            out.append((code_of(key), max(PART_TIER, tier_of(part, "de"))))
    return tuple(out)


def _vocabulary(lang: str | None):  # -> TEXT.Vocabulary
    vocabulary = _VOCABULARIES.get(lang)
    if vocabulary is None:
        make = partial(_token, stop=stopwords(lang), lang=lang)
        vocabulary = _VOCABULARIES[lang] = TEXT.Vocabulary(make, MAX_TABLE, _native.pack_entry)
    return vocabulary


def token_packed(text: str, lang: str | None) -> tuple[array, list[Token]]:
    """The text's tokens as ``_native.assemble_packed`` reads them (where TEXT is built): three ints a token, and
    the entries they index."""
    return _vocabulary(lang).packed(text)


def token_entries(text: str, lang: str | None) -> list[Token]:
    """The text's tokens as their table entries (``Token``), in text order: what ``tokens`` counts."""
    if TEXT is not None:  # the loop below, compiled: tokens read in place, a str made only for a new one
        return _vocabulary(lang).entries_of(text)
    table = _TABLES.setdefault(lang, {})
    if len(table) > MAX_TABLE:
        table.clear()
    raw = text.replace("-", " ").replace("/", " ").split()  # "Merkur-Sonde", "Ghosn-Flucht", "ESA/ATG"
    entries = list(map(table.get, raw))  # per-token work in C: no Python-level loop over the tokens
    missing = entries.count(None)
    if missing:  # tokens not seen yet, found by list.index (in C), not by a Python loop over every token
        stop, i = stopwords(lang), -1
        for _ in range(missing):
            i = entries.index(None, i + 1)
            entry = table.get(raw[i])  # (a token twice in the text: computed the first time)
            if entry is None:
                entry = table[raw[i]] = _token(raw[i], stop, lang)
            entries[i] = entry
    return entries


def tokens(
    text: str, lang: str | None
) -> tuple[Counter[int], Counter[int], dict[int, int], frozenset[str], array]:
    """(content word codes, name codes) with counts, every code's tier (of its last token here; two names in a row:
    the rarer word's), the text's numbers (numbers_in) and every content word's code in text order: a capital that does not
    open a sentence (or follow an opening quote or parenthesis) is taken as part of a name.  Codes, not keys, are
    counted: the key set is made of them."""
    entries = token_entries(text, lang)
    codes = list(map(_CODE, entries))
    terms = Counter(codes)
    del terms[-1]
    tiers = dict(zip(codes, map(_TIER, entries), strict=True))  # the last token's tier per code
    # German compounds count their parts too (compounds.py); a part also written alone keeps that word's tier
    if lang == "de":
        for code, tier in [p for parts in map(_PARTS, entries) if parts for p in parts]:
            terms[code] += 1
            tiers.setdefault(code, tier)
    caps = list(compress(range(len(entries)), map(_CAP, entries)))  # tokens that can be part of a name
    # a capital that opens a sentence (or follows an opening quote or parenthesis) is not taken as a name
    names = Counter(
        [codes[i] for i in caps if not (entries[i - 1] if i else _START)[3] and not entries[i][4]]
    )
    # Two names in a row ("Dwayne Johnson", "Heiko Maas") are one name: a key of their own, as rare as the rarer word
    for i, j in pairwise(caps):
        if j == i + 1 and not entries[i][5]:
            p, e = entries[i], entries[j]
            code = code_of(f"{p[0]}_{e[0]}")
            terms[code] += 1
            tiers[code] = min(p[2], e[2])
    sequence = array(
        "H", compress(codes, map(_KEY, entries))
    )  # every content key in text order (template.py)
    numbers = frozenset(chain.from_iterable(filter(None, map(_NUMBERS, entries))))  # (most tokens hold none)
    return terms, names, tiers, numbers, sequence
