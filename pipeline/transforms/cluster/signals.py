"""What a record says about its event, reduced to small comparable sets.

In: the fields of an enriched record (headline, body, language, entities, countries, dateline, agency, publication
time) -- from the live ``EnrichedDispatch`` or from a ``news_item`` read back from the output topic.  Out: a
``Signature``: spelling-insensitive keys of its content words (``terms``; places by a language-independent key) with
how rare each word is (``tiers``), numbers of three or more digits (not years), ISO countries, dateline city key and
agency, and blocking keys from its names (capitalised words inside sentences, entity words) and most frequent words.
Everything is computed from the text itself, so clustering works with NER off; entities only add names.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, compress, islice, repeat
from urllib.parse import urlsplit

import numpy as np

from pipeline.model import EnrichedDispatch
from pipeline.transforms.cluster import tokens as tokens_module
from pipeline.transforms.cluster.names import word_key
from pipeline.transforms.cluster.tokens import code_of, stopwords, token_entries, token_packed, tokens

try:  # the compiled loops (_native.pyx, built by setup.py where a C compiler is): the same results, ~2x faster
    from pipeline.transforms.cluster import _native as NATIVE
except ImportError:  # not built: the Python code below
    NATIVE = None

__all__ = [
    "Signature",
    "of_enriched",
    "outlet_of",
    "shared_counts",
    "signature",
    "stopwords",
    "text_of",
]

MAX_TERMS = 96  # most frequent content words kept per record (memory per indexed record, see docs/dedup.md)
BLOCK_NAMES, BLOCK_TERMS = 5, 5  # blocking keys per record (one keyed state access each on the keyed path)
BLOCK_TIER = 1  # words used as blocking keys are at most this common (tokens.tier_of: zipf < 4)
_WORD = re.compile(r"[^\W\d_]+")
MAX_CHARS = (
    1500  # headline + the body's lead: the event is in the lead, and the cost stays flat for long texts
)


@dataclass(frozen=True)
class Signature:
    item: str  # id of the record (version id)
    story_id: str
    language: str | None
    published_ms: int | None
    terms: array  # 16-bit codes of the content-word keys (``tokens.code_of``), sorted, 2 bytes each
    tiers: bytes  # rarity tier of each of ``terms`` (``tokens.tier_of``; 0 = rare)
    numbers: frozenset[str]
    countries: frozenset[str]
    city: str | None
    agency: str | None
    outlet: str | None  # who published it (``outlet_of``): same-outlet pairs need more (link.SAME_OUTLET)
    blocks: tuple[str, ...]  # blocking keys: where this record is indexed and looked up
    # every content key's code in text order (2 bytes each): one outlet's template text shows as long shared runs.
    # A plain default, so a Signature pickled before this field (keyed state, a streaming update) reads as empty.
    sequence: array | tuple[()] = ()

    def __setstate__(self, state: dict) -> None:
        """Unpickled (from an enrich worker, a restore helper, keyed state): its outlet and blocking keys shared
        again (``sys.intern``), as ``signature`` shares them, so that a large index holds one copy of each; here,
        not by a copy of the signature in the stage (``dataclasses.replace``: 7 us a record in the pipeline
        process)."""
        if state.get("outlet"):
            state["outlet"] = sys.intern(state["outlet"])
        state["blocks"] = tuple(map(sys.intern, state.get("blocks", ())))
        self.__dict__.update(state)


def _top(counts: Counter[int], n: int) -> list[int]:
    """The ``n`` most frequent keys (ties: first seen first; a stable sort, as ``most_common`` but faster here)."""
    return sorted(counts, key=counts.__getitem__, reverse=True)[:n]


def shared_counts(terms: array, others: list[array]) -> list[int]:
    """How many of ``terms`` each of ``others`` holds (``Signature.terms``: distinct codes).  Scoring a record's
    candidates one by one, the set intersections were most of the time: numpy counts them all at once (a 64K-flag
    lookup of every candidate's codes, summed per candidate).  A few candidates: the intersections are cheaper."""
    if NATIVE is not None:
        return NATIVE.shared_counts(terms, others)
    if len(others) < 3 or not all(others):  # (reduceat cannot sum an empty run)
        own = frozenset(terms)
        return [len(own.intersection(t)) for t in others]
    flags = np.zeros(1 << 16, np.bool_)
    flags[np.frombuffer(terms, np.uint16)] = True
    starts = np.fromiter(accumulate(map(len, others[:-1]), initial=0), np.intp, len(others))
    hits = flags[np.frombuffer(b"".join(others), np.uint16)]
    return np.add.reduceat(hits, starts, dtype=np.intp).tolist()


def _assemble(
    text: str, lang: str | None, entity_codes: list[int]
) -> tuple[array, bytes, list[int], list[int], frozenset[str], array]:
    """(the ``MAX_TERMS`` most frequent content codes, sorted; their tiers; the blocking names; the blocking rare
    words; the numbers; the content codes in text order): ``_native.assemble`` in Python, the same results."""
    terms, names, tiers, numbers, sequence = tokens(text, lang)
    for code in entity_codes:
        names[code] += 2
    top_names = [c for c in _top(names, 4 * BLOCK_NAMES) if tiers.get(c, 0) <= BLOCK_TIER][:BLOCK_NAMES]
    top_terms = _top(terms, MAX_TERMS)
    # the first BLOCK_TERMS of top_terms at most BLOCK_TIER common (lazily: they are found in the first few)
    rare = map(BLOCK_TIER.__ge__, map(tiers.get, top_terms, repeat(3)))
    rare_terms = list(islice(compress(top_terms, rare), BLOCK_TERMS))
    codes = array("H", sorted(top_terms))
    return codes, bytes(map(tiers.get, codes, repeat(3))), top_names, rare_terms, numbers, sequence


def text_of(headline: str, body: str) -> str:
    """The text a signature is computed from: the headline and the body's first ``MAX_CHARS`` characters."""
    return f"{headline}\n\n{body[:MAX_CHARS]}"


def signature(
    item: str,
    story_id: str,
    headline: str,
    body: str,
    language: str | None,
    published_ms: int | None,
    entity_names: Iterable[str] = (),
    countries: Iterable[str] = (),
    city: str | None = None,
    agency: str | None = None,
    outlet: str | None = None,
) -> Signature:
    text = text_of(headline, body)
    lang = (language or "")[:2].lower() or None
    entity_codes = [
        code_of(word_key(w.casefold())) for name in entity_names for w in _WORD.findall(name) if len(w) >= 3
    ]
    rules = (lang == "de", code_of, entity_codes, MAX_TERMS, BLOCK_NAMES, BLOCK_TIER, BLOCK_TERMS)
    if NATIVE is not None and tokens_module.TEXT is not None:  # compiled tables and loops
        assembled = NATIVE.assemble_packed(*token_packed(text, lang), *rules)
    elif NATIVE is not None:
        assembled = NATIVE.assemble(token_entries(text, lang), *rules)
    else:
        assembled = _assemble(text, lang, entity_codes)
    codes, tier_bytes, top_names, rare_terms, numbers, sequence = assembled
    city_key = word_key(city.casefold()) if city else None
    # Blocking keys: the record's strongest names and words (spelling-insensitive keys, shared by every language, so
    # translations meet), its story (a story's later versions always meet the earlier ones), its dateline city.
    blocks = [f"s:{story_id}"]
    blocks += [f"k:{c}" for c in dict.fromkeys([*top_names, *rare_terms])]
    if city_key:
        blocks.append(f"c:{city_key}")
    return Signature(
        item=item,
        story_id=story_id,
        language=lang,
        published_ms=published_ms,
        terms=codes,
        tiers=tier_bytes,
        numbers=numbers,
        countries=frozenset(countries),
        city=city_key,
        agency=agency,
        outlet=sys.intern(outlet) if outlet else None,
        blocks=tuple(map(sys.intern, dict.fromkeys(blocks))),  # shared by every record with that key
        sequence=sequence,
    )


def outlet_of(outlet: str | None, uri: str | None, feed_url: str | None) -> str | None:
    """The outlet's name when the feed gives one, else the host of the item's link or of its feed (``www.`` off)."""
    if outlet:
        return outlet.casefold()
    for url in (uri, feed_url):
        host = urlsplit(url).hostname if url else None
        if host:
            return host.removeprefix("www.")
    return None


def of_enriched(e: EnrichedDispatch) -> Signature:
    d, en = e.dispatch, e.enrichment
    done = (
        en.cluster_signature
    )  # computed in an enrich pool worker (enrich/pool.py): the same function, same fields
    if isinstance(done, Signature) and done.item == d.id:
        return done  # (its strings shared again when it was unpickled: Signature.__setstate__)
    published = d.published.millis if d.published is not None else None
    dl = d.dateline
    return signature(
        d.id,
        d.story_id,
        d.headline,
        d.body,
        en.language or d.language_hint,
        published,
        (x.text for x in en.entities if x.type in ("PERSON", "LOCATION", "ORGANIZATION")),
        en.countries,
        (dl.city_normalized or dl.city) if dl else None,
        d.agency,
        outlet_of(d.outlet, d.uri, d.feed_url),
    )
