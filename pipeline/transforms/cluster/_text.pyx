# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Compiled text-level code of the cluster stage: a record's tokens looked up in a language's token table
(``Vocabulary``, tokens.token_entries) and names.word_key's rules.  The same results as the Python code, which stays
as the fallback where this extension is not built (setup.py: Cython and a C compiler); tests/unit/cluster/test_text.py
and test_names.py check both against each other.  Written here rather than found: no library splits text our way
into our table, and the rules are ours (names.py says why).

``Vocabulary.entries_of(text)`` is ``text.replace("-", " ").replace("/", " ").split()`` with every token's table
entry, but it reads the tokens in place: no str is made for a token already in the table (most of them), only for a
new one, whose entry ``make`` computes (tokens._token).  ``packed(text)`` gives the same tokens as ints instead:
each one's code and tier | flags, which the table keeps as ``pack`` (_native.pack_entry) gave them, and its index,
for _native.assemble_packed, which then reads no entry tuple of a token already here.  The table is an
open-addressing hash table of slots over two lists (the tokens as str, their entries); ``make`` runs Python code,
during which another thread may use the same table, so no slot position is held across it and a new token is
inserted after a fresh probe.
"""

from cpython.unicode cimport (
    Py_UNICODE_ISSPACE,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from cpython cimport array as carray
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, strlen

import array

cdef carray.array _I = array.array("i")
cdef uint64_t _FNV_OFFSET = 14695981039346656037ULL
cdef uint64_t _FNV_PRIME = 1099511628211ULL


cdef struct _Slot:
    Py_ssize_t index  # into Vocabulary.tokens / .entries; -1: empty
    uint64_t hash


cdef inline bint _separator(Py_UCS4 ch) noexcept:
    return ch == u"-" or ch == u"/" or Py_UNICODE_ISSPACE(ch)  # what str.split() splits on, "-" and "/" as spaces


cdef inline bint _next_token(int kind, const void* data, Py_ssize_t n, Py_ssize_t* i, Py_ssize_t* start,
                             uint64_t* h) noexcept:
    """Moves ``i`` past the text's next token, setting where it starts and its hash; False when none is left."""
    cdef Py_UCS4 ch
    while i[0] < n and _separator(PyUnicode_READ(kind, data, i[0])):
        i[0] += 1
    if i[0] >= n:
        return False
    start[0], h[0] = i[0], _FNV_OFFSET
    while i[0] < n:
        ch = PyUnicode_READ(kind, data, i[0])
        if _separator(ch):
            break
        h[0] = (h[0] ^ <uint64_t>ch) * _FNV_PRIME
        i[0] += 1
    return True


cdef class Vocabulary:
    """One language's token table: token as written -> its entry, at most ``limit`` tokens (then cleared, as the
    Python table is)."""

    cdef _Slot* slots
    cdef Py_ssize_t capacity
    cdef Py_ssize_t limit
    cdef readonly list tokens
    cdef readonly list entries
    cdef object make
    cdef object pack
    cdef int* info  # per token (its index in ``tokens``): ``pack(entry)``, two ints
    cdef Py_ssize_t info_capacity

    def __cinit__(self, make, Py_ssize_t limit, pack):
        self.make = make
        self.pack = pack
        self.limit = limit
        self.tokens, self.entries = [], []
        self.capacity = 0
        self.slots = NULL
        self.info = NULL
        self.info_capacity = 0
        self._allocate(1024)

    def __dealloc__(self):
        free(self.slots)
        free(self.info)

    def __len__(self):
        return len(self.tokens)

    cdef int _allocate(self, Py_ssize_t capacity) except -1:
        cdef _Slot* slots = <_Slot*>malloc(capacity * sizeof(_Slot))
        cdef Py_ssize_t i
        if slots == NULL:
            raise MemoryError()
        for i in range(capacity):
            slots[i].index = -1
        free(self.slots)
        self.slots, self.capacity = slots, capacity
        return 0

    def clear(self):
        self.tokens, self.entries = [], []
        self._allocate(1024)

    cdef Py_ssize_t _find(self, int kind, const void* data, Py_ssize_t start, Py_ssize_t end, uint64_t h):
        """The token's index in ``tokens``, or -(its free slot + 1)."""
        cdef Py_ssize_t mask = self.capacity - 1, i = <Py_ssize_t>(h & <uint64_t>mask), j, n = end - start
        cdef object token
        cdef int tkind
        cdef const void* tdata
        while True:
            if self.slots[i].index < 0:
                return -(i + 1)
            if self.slots[i].hash == h:
                token = self.tokens[self.slots[i].index]
                if PyUnicode_GET_LENGTH(token) == n:
                    tkind, tdata = PyUnicode_KIND(token), PyUnicode_DATA(token)
                    if tkind == kind:
                        if memcmp(tdata, <const char*>data + start * kind, n * kind) == 0:
                            return self.slots[i].index
                    else:
                        for j in range(n):
                            if PyUnicode_READ(tkind, tdata, j) != PyUnicode_READ(kind, data, start + j):
                                break
                        else:
                            return self.slots[i].index
            i = (i + 1) & mask

    cdef int _grow(self) except -1:
        cdef _Slot* old = self.slots
        cdef Py_ssize_t old_capacity = self.capacity, i, k, mask
        self.slots = NULL
        self._allocate(2 * old_capacity)
        mask = self.capacity - 1
        for i in range(old_capacity):
            if old[i].index >= 0:
                k = <Py_ssize_t>(old[i].hash & <uint64_t>mask)
                while self.slots[k].index >= 0:
                    k = (k + 1) & mask
                self.slots[k] = old[i]
        free(old)
        return 0

    def entries_of(self, str text):
        """Each token's entry, in text order (``tokens.token_entries``)."""
        if len(self.tokens) > self.limit:
            self.clear()
        cdef int kind = PyUnicode_KIND(text)
        cdef const void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start
        cdef uint64_t h
        cdef list out = []
        while _next_token(kind, data, n, &i, &start, &h):
            out.append(self.entries[self._index(text, kind, data, start, i, h)])
        return out

    cdef Py_ssize_t _index(self, str text, int kind, const void* data, Py_ssize_t start, Py_ssize_t end,
                           uint64_t h) except -1:
        """The token's index in ``tokens`` and ``entries``; a new one's entry computed by ``make`` and inserted."""
        cdef Py_ssize_t found = self._find(kind, data, start, end, h)
        cdef int code, tf
        if found >= 0:
            return found
        raw = text[start:end]
        entry = self.make(raw)  # Python code: the table may change meanwhile (another thread), so probe again
        code, tf = self.pack(entry)
        found = self._find(kind, data, start, end, h)
        if found >= 0:
            return found
        self._insert(-found - 1, h, raw, entry, code, tf)
        return len(self.tokens) - 1

    cdef int _insert(self, Py_ssize_t slot, uint64_t h, str raw, entry, int code, int tf) except -1:
        """A new token at its free ``slot``: no Python code runs in here, so the slot is still free."""
        cdef Py_ssize_t index = len(self.tokens)
        cdef int* info
        if index >= self.info_capacity:
            info = <int*>realloc(self.info, 2 * (2 * self.info_capacity + 1024) * sizeof(int))
            if info == NULL:
                raise MemoryError()
            self.info, self.info_capacity = info, 2 * self.info_capacity + 1024
        self.info[2 * index] = code
        self.info[2 * index + 1] = tf
        self.slots[slot].index = index
        self.slots[slot].hash = h
        self.tokens.append(raw)
        self.entries.append(entry)
        if 2 * len(self.tokens) > self.capacity:
            self._grow()
        return 0

    def packed(self, str text):
        """(array('i'): three ints a token, its code, tier | flags (``pack``) and index in the list; the list of
        entries they index): what ``_native.assemble_packed`` reads, no entry touched for a token already here."""
        if len(self.tokens) > self.limit:
            self.clear()
        cdef int kind = PyUnicode_KIND(text)
        cdef const void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, start, found, k = 0
        cdef uint64_t h
        cdef list entries = self.entries
        cdef carray.array out = carray.clone(_I, 3 * (n // 2 + 1), False)  # at most one token in two characters
        cdef int* o = out.data.as_ints
        while _next_token(kind, data, n, &i, &start, &h):
            found = self._index(text, kind, data, start, i, h)
            if self.entries is not entries:  # cleared meanwhile (another thread): the indices so far are stale
                return self.packed(text)
            o[3 * k] = self.info[2 * found]
            o[3 * k + 1] = self.info[2 * found + 1]
            o[3 * k + 2] = <int>found
            k += 1
        carray.resize(out, 3 * k)
        return out, entries


# -- names.word_key: the rules on a byte buffer ------------------------------------------------------------------

cdef const char* _SH[11]
_SH[:] = [b"tsch", b"tch", b"tsh", b"cz", b"ch", b"sch", b"sh", b"sz", b"zh", b"ss", b"x"]
cdef const char* _PH[1]
_PH[:] = [b"ph"]
cdef const char* _TH[1]
_TH[:] = [b"th"]
cdef const char* _W[1]
_W[:] = [b"w"]
cdef const char* _Z[1]
_Z[:] = [b"z"]
cdef const char* _YJ[2]
_YJ[:] = [b"y", b"j"]
cdef const char* _K[3]
_K[:] = [b"ck", b"q", b"c"]
cdef const char* _OU[2]
_OU[:] = [b"ou", b"oo"]
cdef const char* _AE[2]
_AE[:] = [b"ae", b"ai"]
cdef const char* _OE[1]
_OE[:] = [b"oe"]
cdef const char* _IE[3]
_IE[:] = [b"ie", b"ii", b"iy"]


cdef Py_ssize_t _sub(const char* a, Py_ssize_t n, char* out, const char** pats, int npats, char rep) noexcept:
    """``re.sub("p1|p2|...", rep, a)``: left to right, at each place the first pattern that matches, replaced by the
    one letter ``rep``; the length written to ``out``."""
    cdef Py_ssize_t i = 0, j = 0, m
    cdef int k
    cdef bint hit
    while i < n:
        hit = False
        for k in range(npats):
            m = strlen(pats[k])
            if i + m <= n and memcmp(a + i, pats[k], m) == 0:
                out[j] = rep
                j += 1
                i += m
                hit = True
                break
        if not hit:
            out[j] = a[i]
            j += 1
            i += 1
    return j


cdef inline bint _vowel(char c) noexcept:
    return c == b"a" or c == b"e" or c == b"i" or c == b"o" or c == b"u"


cdef Py_ssize_t _ending(const char* a, Py_ssize_t n) noexcept:
    """Where names._ENDING (``(?:[aeiou]+|[aeiou]?s|[aeiou]m|[ao]v|ego|owi)$``) first matches in ``a``; ``n`` if
    nowhere."""
    cdef Py_ssize_t i, j, rest
    cdef bint vowels
    for i in range(n):
        rest = n - i
        vowels = True
        for j in range(i, n):
            if not _vowel(a[j]):
                vowels = False
                break
        if vowels:
            return i
        if rest == 1 and a[i] == b"s":
            return i
        if rest == 2 and (
            (_vowel(a[i]) and (a[i + 1] == b"s" or a[i + 1] == b"m"))
            or ((a[i] == b"a" or a[i] == b"o") and a[i + 1] == b"v")
        ):
            return i
        if rest == 3 and (memcmp(a + i, b"ego", 3) == 0 or memcmp(a + i, b"owi", 3) == 0):
            return i
    return n


def word_key(transliterate, str word):
    """``names.word_key`` (``transliterate``: anyascii, used for a word that is not ASCII): ``names.RULES`` applied in
    order, each one pass over a byte buffer."""
    cdef bytes raw = (word if word.isascii() else transliterate(word)).encode("ascii")
    cdef Py_ssize_t n = len(raw), i, j = 0
    cdef const char* src = raw
    cdef char c
    cdef char* a = <char*>malloc(n + 1)
    cdef char* b = <char*>malloc(n + 1)
    cdef char* t
    if a == NULL or b == NULL:
        free(a)
        free(b)
        raise MemoryError()
    try:
        for i in range(n):  # lower(), then [^a-z] -> ""
            c = src[i]
            if b"A" <= c <= b"Z":
                c = c + 32
            if b"a" <= c <= b"z":
                a[j] = c
                j += 1
        n = j
        n = _sub(a, n, b, _SH, 11, b"s")
        n = _sub(b, n, a, _PH, 1, b"f")
        n = _sub(a, n, b, _TH, 1, b"t")
        n = _sub(b, n, a, _W, 1, b"v")
        n = _sub(a, n, b, _Z, 1, b"s")
        n = _sub(b, n, a, _YJ, 2, b"i")
        n = _sub(a, n, b, _K, 3, b"k")
        n = _sub(b, n, a, _OU, 2, b"u")
        n = _sub(a, n, b, _AE, 2, b"e")
        n = _sub(b, n, a, _OE, 1, b"o")
        n = _sub(a, n, b, _IE, 3, b"i")
        j = 0  # (.)\1+ -> \1, from b into a
        for i in range(n):
            if j == 0 or b[i] != a[j - 1]:
                a[j] = b[i]
                j += 1
        n = j
        i = _ending(a, n)
        return a[:i].decode("ascii") if i >= 3 else a[:n].decode("ascii")
    finally:
        free(a)
        free(b)
