"""Language-aware word shingles for near-duplicate detection.

In: a dispatch body (and its language hint).  Out: a set of 32-bit shingle hashes (word 3-grams after case and
accent folding, French/English elision split, stopwords dropped).  Headlines are left out on purpose: republications
retitle the same text, and the sketch must see the text.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

SHINGLE = 3
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Elided articles/pronouns are glued to the next word in French ("l'Ukraine", "qu'il"); split them off.
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_ELISION_MAX = 7  # the longest match: "lorsqu'", "puisqu'"
_APOSTROPHE = re.compile("['’]")
# ASCII bytes: letters and digits stay as they are (fold's NFKD can give back upper case: "𝐀" -> "A"), anything
# else becomes a space
_ASCII_NON_WORD = bytes(c if chr(c).isalnum() else 0x20 for c in range(128)) + bytes([0x20] * 128)
STOPWORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        [
            "a",
            "au",
            "aux",
            "avec",
            "ce",
            "ces",
            "cette",
            "dans",
            "de",
            "des",
            "du",
            "elle",
            "en",
            "est",
            "et",
            "il",
            "ils",
            "je",
            "la",
            "le",
            "les",
            "leur",
            "lui",
            "mais",
            "me",
            "meme",
            "mes",
            "ne",
            "nos",
            "notre",
            "nous",
            "on",
            "ou",
            "par",
            "pas",
            "pour",
            "qu",
            "que",
            "qui",
            "sa",
            "se",
            "ses",
            "son",
            "sur",
            "ta",
            "te",
            "tes",
            "ton",
            "tu",
            "un",
            "une",
            "vos",
            "votre",
            "vous",
            "y",
            "ont",
            "sont",
            "ete",
            "etre",
            "avait",
            "a",
        ]
    ),
    "en": frozenset(
        [
            "a",
            "an",
            "and",
            "are",
            "as",
            "at",
            "be",
            "been",
            "but",
            "by",
            "for",
            "from",
            "had",
            "has",
            "have",
            "he",
            "her",
            "his",
            "i",
            "in",
            "is",
            "it",
            "its",
            "of",
            "on",
            "or",
            "our",
            "she",
            "that",
            "the",
            "their",
            "they",
            "this",
            "to",
            "was",
            "we",
            "were",
            "which",
            "will",
            "with",
            "would",
        ]
    ),
}
_ALL_STOPWORDS = STOPWORDS["fr"] | STOPWORDS["en"]


class _DropCombining(dict):
    """``str.translate`` table deleting combining marks, filled on first sight of each code point (C-speed lookups
    after that, instead of a Python-level test per character)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_DROP_COMBINING = _DropCombining()


def fold(text: str) -> str:
    """Casefold and strip accents, so "Biélorussie" and "Bielorussie" are one word."""
    if text.isascii():  # NFKD leaves ASCII as it is and no ASCII character is combining
        return text.casefold()
    return unicodedata.normalize("NFKD", text.casefold()).translate(_DROP_COMBINING)


def split_elisions(text: str) -> str:
    """``_ELISION.sub(" ", text)``, with the pattern tried only where it can end: at an apostrophe.

    A match is a whole word (``\\b`` before it, word characters up to the apostrophe, at most 6 of them) followed
    by one apostrophe, so each apostrophe ends at most one match, matches never overlap, and searching the few
    characters before each apostrophe (after the previous one) finds exactly the matches ``sub`` would.  Scanning
    the whole text with the pattern costs ~65 ns a character (``\\b`` and the case-insensitive alternation are
    tried at every position); this ~2 us per apostrophe."""
    out: list[str] = []
    done = prev = 0  # text[:done] is in out; prev is just after the previous apostrophe
    for a in _APOSTROPHE.finditer(text):
        end = a.end()
        m = _ELISION.search(text, max(prev, end - _ELISION_MAX), end)  # \b still sees text[pos - 1]
        if m is not None:
            out.append(text[done : m.start()])
            out.append(" ")
            done = end
        prev = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def tokens(text: str, language: str | None = None) -> list[str]:
    """Content words in order: elisions split, folded, stopwords of the language (else of all known) dropped."""
    stop = STOPWORDS.get((language or "")[:2].lower(), _ALL_STOPWORDS)
    folded = fold(split_elisions(text))
    if folded.isascii():  # [^\W_] is [a-z0-9] here: runs of them are the words once the rest is a space
        words = folded.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split()
    else:
        words = _WORD.findall(folded)
    return [w for w in words if w not in stop]


def shingle_list(text: str, language: str | None = None, k: int = SHINGLE) -> list[int]:
    """32-bit CRC hashes of word k-grams in text order (a short text gives its single gram)."""
    words = tokens(text, language)
    if len(words) < k:
        return [zlib.crc32(" ".join(words).encode())] if words else []
    if k == 3:  # the default: no slice and join per gram (half the time)
        return [
            zlib.crc32(f"{a} {b} {c}".encode()) for a, b, c in zip(words, words[1:], words[2:], strict=False)
        ]
    return [zlib.crc32(" ".join(words[i : i + k]).encode()) for i in range(len(words) - k + 1)]


def shingles(text: str, language: str | None = None, k: int = SHINGLE) -> frozenset[int]:
    return frozenset(shingle_list(text, language, k))
