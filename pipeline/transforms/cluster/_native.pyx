# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled counterparts of the cluster stage's per-record loops (tokens.py, signals.py): the same results, faster.

``assemble`` is ``tokens.tokens``' counting and ``signals.signature``'s ranking in one pass over a record's token
entries, with counts in C tables indexed by the 16-bit key code instead of Counters and dicts; ``shared_counts`` is
``signals.shared_counts`` as a C loop; ``gather``, ``add_to_blocks`` and ``best_per_cluster`` are the index's loops
over a record's blocks and candidates (index.py, link.py).  The tables are per thread (a Dataflow worker runs several
bundles at once in one process) and all zero between calls.  signals.py falls back to its Python code when this
extension was not built (setup.py builds it where Cython and a C compiler are); tests/unit/cluster/test_native.py
checks that both give the same output.  Written in Cython rather than found: no library counts our token entries.
"""

import array
import threading

from cpython cimport array as carray
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdlib cimport calloc, free, malloc

cdef carray.array _H = array.array("H")
_local = threading.local()


cdef class _Tables:
    """One thread's scratch tables, indexed by key code; every entry a call sets is reset before it returns."""

    cdef unsigned int* count  # content-key code -> count (0: not counted yet)
    cdef unsigned int* names  # name-key code -> count
    cdef signed char* tier  # code -> its tier (tokens.tiers), valid where seen
    cdef unsigned char* seen
    cdef unsigned char* flags  # shared_counts' lookup table
    cdef bint busy

    def __cinit__(self):
        self.count = <unsigned int*>calloc(65536, sizeof(unsigned int))
        self.names = <unsigned int*>calloc(65536, sizeof(unsigned int))
        self.tier = <signed char*>calloc(65536, sizeof(signed char))
        self.seen = <unsigned char*>calloc(65536, sizeof(unsigned char))
        self.flags = <unsigned char*>calloc(65536, sizeof(unsigned char))
        if not (self.count and self.names and self.tier and self.seen and self.flags):
            raise MemoryError()

    def __dealloc__(self):
        free(self.count)
        free(self.names)
        free(self.tier)
        free(self.seen)
        free(self.flags)


cdef _Tables _tables():
    """This thread's tables (made on its first call); a fresh set if they are in use (a call inside a call)."""
    cdef _Tables t = getattr(_local, "tables", None)
    if t is None:
        t = _local.tables = _Tables()
    elif t.busy:
        t = _Tables()
    return t


cdef inline int _code(object value, bint none_ok) except -2:
    """A 16-bit code (tokens.code_of), or -1 for a token without a key where ``none_ok``: the tables' index."""
    cdef long code = value
    if 0 <= code <= 0xFFFF or (none_ok and code == -1):
        return <int>code
    raise ValueError(f"not a 16-bit key code: {value!r}")


cdef int _rank(unsigned short* codes, Py_ssize_t n, unsigned int* counts, unsigned short* out) except -1:
    """``codes`` into ``out`` most frequent first, ties in their order in ``codes`` (what ``sorted(counter,
    key=counter.__getitem__, reverse=True)`` gives for a Counter filled in that order): a stable counting sort."""
    cdef Py_ssize_t i
    cdef unsigned int top = 0, c
    for i in range(n):
        if counts[codes[i]] > top:
            top = counts[codes[i]]
    cdef Py_ssize_t* start = <Py_ssize_t*>calloc(top + 2, sizeof(Py_ssize_t))
    if start == NULL:
        raise MemoryError()
    for i in range(n):  # how many codes have each count
        start[top - counts[codes[i]] + 1] += 1
    for c in range(1, top + 2):  # where the codes of each count begin, the highest count first
        start[c] += start[c - 1]
    for i in range(n):
        c = top - counts[codes[i]]
        out[start[c]] = codes[i]
        start[c] += 1
    free(start)
    return 0


cdef void _ascending(unsigned short* codes, Py_ssize_t n) noexcept:
    """Insertion sort: a signature keeps at most ``MAX_TERMS`` (96) codes."""
    cdef Py_ssize_t i, j
    cdef unsigned short x
    for i in range(1, n):
        x = codes[i]
        j = i - 1
        while j >= 0 and codes[j] > x:
            codes[j + 1] = codes[j]
            j -= 1
        codes[j + 1] = x


# A token entry (tokens.Token) as ``_assemble`` reads it: three ints, its key's code (-1: none), its tier | flags, and
# its index in the entries list (read there only for its numbers, compound parts and key, where the flags say so).
cdef enum:
    F_CAP = 1 << 8  # can be part of a name (Token[1])
    F_ENDS = 1 << 9  # ends a sentence (Token[3])
    F_OPENS = 1 << 10  # opens a quote (Token[4])
    F_PUNCT = 1 << 11  # ends in punctuation (Token[5])
    F_NUMBERS = 1 << 12  # holds numbers (Token[7])
    F_PARTS = 1 << 13  # a German compound's parts (Token[8])


cdef inline int _flags(tuple e) except -1:
    return ((<int>e[2]) & 0xFF) | (F_CAP if e[1] else 0) | (F_ENDS if e[3] else 0) | (F_OPENS if e[4] else 0) | (
        F_PUNCT if e[5] else 0) | (F_NUMBERS if e[7] else 0) | (F_PARTS if e[8] else 0)


def pack_entry(tuple e):
    """(code, tier | flags) of a token entry: what ``assemble_packed`` reads of it (_text.Vocabulary keeps them)."""
    return _code(e[6], True), _flags(e)


def assemble(list entries, bint de, code_of, entity_codes, int max_terms, int n_names, int block_tier,
             int block_terms):
    """(terms: the ``max_terms`` most frequent content codes, sorted, as array('H'); their tiers as bytes; the
    blocking name codes; the blocking rare-term codes; the numbers; the content codes in text order) -- what
    ``signals.signature`` computes from ``tokens.tokens``' output, given the same token entries."""
    cdef Py_ssize_t n = len(entries), i
    cdef tuple e
    cdef int* packed = <int*>malloc((3 * n + 1) * sizeof(int))
    if packed == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            e = <tuple>entries[i]
            packed[3 * i] = _code(e[6], True)
            packed[3 * i + 1] = _flags(e)
            packed[3 * i + 2] = <int>i
        return _assemble(packed, n, entries, de, code_of, entity_codes, max_terms, n_names, block_tier, block_terms)
    finally:
        free(packed)


def assemble_packed(carray.array packed, list entries, bint de, code_of, entity_codes, int max_terms, int n_names,
                    int block_tier, int block_terms):
    """``assemble`` of a text's tokens as _text.Vocabulary.packed gives them (three ints a token, see above)."""
    if packed.ob_descr.typecode != b"i"[0]:
        raise TypeError("assemble_packed: packed must be array('i')")
    cdef Py_ssize_t n = len(packed) // 3, i
    cdef int* p = packed.data.as_ints
    for i in range(n):
        if p[3 * i] < -1 or p[3 * i] > 0xFFFF or p[3 * i + 2] < 0 or p[3 * i + 2] >= len(entries):
            raise ValueError("assemble_packed: a token out of range")
    return _assemble(p, n, entries, de, code_of, entity_codes, max_terms, n_names, block_tier, block_terms)


cdef tuple _assemble(const int* packed, Py_ssize_t n, list entries, bint de, code_of, entity_codes, int max_terms,
                     int n_names, int block_tier, int block_terms):
    cdef Py_ssize_t i, k = 0, n_order = 0, n_names_seen = 0, j, idx
    cdef tuple p
    cdef int code, t, tf
    cdef unsigned int limit
    # codes in order of first appearance: tokens, a German compound's parts, name pairs (at most one pair a token)
    cdef Py_ssize_t cap = 2 * n + 8
    cdef unsigned short* order = NULL
    cdef unsigned short* name_order = NULL
    cdef unsigned short* ranked = NULL
    cdef unsigned short* out
    cdef carray.array seq = carray.clone(_H, n, False)
    cdef unsigned short* sd = seq.data.as_ushorts
    cdef bint prev_ends = True  # the text's start counts as a sentence end (tokens._START)
    cdef Py_ssize_t prev_cap = -2
    cdef bint prev_punct = True
    numbers = None
    pairs = []
    cdef _Tables tables = _tables()
    cdef unsigned int* COUNT = tables.count
    cdef unsigned int* NAMES = tables.names
    cdef signed char* TIER = tables.tier
    cdef unsigned char* SEEN = tables.seen
    if de:
        for i in range(n):
            if packed[3 * i + 1] & F_PARTS:
                cap += len((<tuple>entries[packed[3 * i + 2]])[8])
    entity_codes = list(entity_codes)
    order = <unsigned short*>malloc(cap * sizeof(unsigned short))
    name_order = <unsigned short*>malloc((n + len(entity_codes) + 1) * sizeof(unsigned short))
    if order == NULL or name_order == NULL:
        free(order)
        free(name_order)
        raise MemoryError()
    tables.busy = True
    try:
        for i in range(n):
            code, tf, idx = packed[3 * i], packed[3 * i + 1], packed[3 * i + 2]
            if code >= 0:
                if COUNT[code] == 0:
                    order[n_order] = code
                    n_order += 1
                COUNT[code] += 1
                TIER[code] = tf & 0xFF
                SEEN[code] = 1
                sd[k] = code
                k += 1
                if tf & F_CAP:  # a token that can be part of a name
                    if not prev_ends and not (tf & F_OPENS):
                        if NAMES[code] == 0:
                            name_order[n_names_seen] = code
                            n_names_seen += 1
                        NAMES[code] += 1
                    if prev_cap == i - 1 and not prev_punct:
                        pairs.append(i)
                    prev_cap = i
            prev_ends = tf & F_ENDS
            prev_punct = tf & F_PUNCT
            if tf & F_NUMBERS:
                if numbers is None:
                    numbers = set()
                numbers.update((<tuple>entries[idx])[7])
        carray.resize(seq, k)
        if de:  # a German compound's parts count too; a part also written alone keeps that word's tier
            for i in range(n):
                if not packed[3 * i + 1] & F_PARTS:
                    continue
                for p in (<tuple>entries[packed[3 * i + 2]])[8]:
                    code = _code(p[0], False)
                    if COUNT[code] == 0:
                        order[n_order] = code
                        n_order += 1
                    COUNT[code] += 1
                    if not SEEN[code]:
                        TIER[code] = <int>p[1]
                        SEEN[code] = 1
        for i in pairs:  # two names in a row: a key of their own, as rare as the rarer word
            first, second = (<tuple>entries[packed[3 * i - 1]])[0], (<tuple>entries[packed[3 * i + 2]])[0]
            code = _code(code_of(f"{first}_{second}"), False)
            if COUNT[code] == 0:
                order[n_order] = code
                n_order += 1
            COUNT[code] += 1
            t, tf = packed[3 * i - 2] & 0xFF, packed[3 * i + 1] & 0xFF
            TIER[code] = t if t < tf else tf
            SEEN[code] = 1
        for c in entity_codes:
            code = _code(c, False)
            if NAMES[code] == 0:
                name_order[n_names_seen] = code
                n_names_seen += 1
            NAMES[code] += 2
        # the blocking names: the 4 * n_names most frequent names, those at most block_tier common (0 if unseen)
        ranked = <unsigned short*>malloc((cap if cap > n_names_seen else n_names_seen + 1) * sizeof(unsigned short))
        if ranked == NULL:
            raise MemoryError()
        _rank(name_order, n_names_seen, NAMES, ranked)
        top_names = []
        limit = 4 * n_names if 4 * n_names < n_names_seen else n_names_seen
        for j in range(limit):
            code = ranked[j]
            if (TIER[code] if SEEN[code] else 0) <= block_tier:
                top_names.append(code)
                if len(top_names) == n_names:
                    break
        _rank(order, n_order, COUNT, ranked)
        limit = max_terms if max_terms < n_order else n_order
        rare = []
        terms = carray.clone(_H, limit, False)
        out = (<carray.array>terms).data.as_ushorts
        for j in range(limit):
            code = ranked[j]
            out[j] = code
            if len(rare) < block_terms and TIER[code] <= block_tier:
                rare.append(code)
        _ascending(out, limit)
        tiers = PyBytes_FromStringAndSize(NULL, limit)
        for j in range(limit):
            (<char*>PyBytes_AS_STRING(tiers))[j] = TIER[out[j]]
    finally:
        for j in range(n_order):
            COUNT[order[j]] = 0
            SEEN[order[j]] = 0
        for j in range(n_names_seen):
            NAMES[name_order[j]] = 0
        free(order)
        free(name_order)
        free(ranked)
        tables.busy = False
    return terms, tiers, top_names, rare, (frozenset(numbers) if numbers else frozenset()), seq


def shared_counts(carray.array terms, list others):
    """``signals.shared_counts``: how many of ``terms`` (distinct 16-bit codes) each of ``others`` holds."""
    cdef Py_ssize_t i, j, n = len(terms), m, c
    cdef unsigned short* d = terms.data.as_ushorts
    cdef unsigned short* od
    cdef carray.array o
    cdef list out = []
    cdef _Tables tables = _tables()
    cdef unsigned char* FLAGS = tables.flags
    if terms.ob_descr.typecode != b"H"[0]:
        raise TypeError("shared_counts: terms must be array('H')")
    tables.busy = True
    for i in range(n):
        FLAGS[d[i]] = 1
    try:
        for o in others:
            if o.ob_descr.typecode != b"H"[0]:
                raise TypeError("shared_counts: others must be array('H')")
            m = len(o)
            od = o.data.as_ushorts
            c = 0
            for j in range(m):
                c += FLAGS[od[j]]
            out.append(c)
    finally:
        for i in range(n):
            FLAGS[d[i]] = 0
        tables.busy = False
    return out


# -- the index's per-record loops (index.py ``ClusterIndex.decide``/``add``, link.py ``best_links``) ---------------
# A table under a bundle's writes comes as two dicts, ``top`` (the writes) over ``base`` (buckets.Overlay); outside a
# bundle both are the table itself.

cdef inline object _block(dict top, dict base, key):
    block = top.get(key)
    if block is None and base is not top:
        block = base.get(key)
    return block


def gather(dict top, dict base, tuple keys, long long now_ms, long long horizon_ms):
    """``ClusterIndex.decide``'s candidates: the live entries of the blocks ``keys``, one per item (the last one
    met), in order of first meeting, as ``{item: entry}``."""
    cdef dict seen = {}
    for key in keys:
        block = _block(top, base, key)
        if block is None:
            continue
        for entry in <tuple?>block:
            if now_ms - <long long>entry.seen_ms < horizon_ms:
                seen[entry.sig.item] = entry
    return seen


def add_to_blocks(dict top, dict base, entry, long long now_ms, long long horizon_ms, Py_ssize_t cap):
    """``entry`` added to each of its blocks, written to ``top``: ``index.register`` (an older entry of the same item
    replaced, the block live and capped at ``cap``, newest last)."""
    cdef list kept
    cdef Py_ssize_t n
    item = entry.sig.item
    for key in entry.sig.blocks:
        block = _block(top, base, key)
        if not block:
            top[key] = (entry,)
            continue
        kept = [x for x in <tuple?>block if x.sig.item != item and now_ms - <long long>x.seen_ms < horizon_ms]
        n = len(kept)
        if n > cap - 1:
            del kept[: n - (cap - 1)]
        kept.append(entry)
        top[key] = tuple(kept)


def best_per_cluster(sig, candidates, score, tuple floors):
    """``link.best_links`` up to its sort: ``{cluster_id: (score, entry)}``, the best linked candidate per cluster.
    ``floors`` = link's integer pre-filters (Jaccard n, d + n for the lowest threshold, ``SAME_LANG`` and
    ``SAME_OUTLET``; ``CROSS_MIN_SHARED``): candidates below them are passed over, the rest scored by ``score``
    (``link._score``)."""
    cdef Py_ssize_t jn, jd, sn, sd, on, od, cross_min
    jn, jd, sn, sd, on, od, cross_min = floors
    cdef carray.array terms = sig.terms
    cdef list others = [], their = []
    item = sig.item
    for entry in candidates:
        b = entry.sig
        if b.item != item:
            others.append(entry)
            their.append(b.terms)
    cdef list counts = shared_counts(terms, their)
    cdef Py_ssize_t own = len(terms), i, both, inter, n = len(others)
    cdef Py_ssize_t floor = cross_min - len(sig.numbers)
    cdef bint few = len(sig.numbers) < 2
    cdef dict best = {}
    lang, story, outlet = sig.language, sig.story_id, sig.outlet
    own_terms = None  # frozenset(terms), made for the first candidate scored
    for i in range(n):
        entry = others[i]
        b = entry.sig
        inter = counts[i]
        if b.story_id != story:
            other_lang = b.language
            if lang is None or other_lang is None or other_lang == lang:
                both = own + len(<carray.array?>their[i])
                if jd * inter < jn * both:
                    continue
                # below SAME_LANG only two shared numbers link, never from one outlet; one outlet needs SAME_OUTLET
                if sd * inter < sn * both and (
                    few or len(b.numbers) < 2 or (outlet is not None and b.outlet == outlet)
                ):
                    continue
                if outlet is not None and b.outlet == outlet and od * inter < on * both:
                    continue
            elif inter < floor:
                continue
        if own_terms is None:
            own_terms = frozenset(terms)
        s = score(sig, own_terms, b, inter)
        if s <= 0.0:
            continue
        cluster = entry.cluster_id
        prev = best.get(cluster)
        if prev is None or s > (<tuple>prev)[0]:
            best[cluster] = (s, entry)
    return best
