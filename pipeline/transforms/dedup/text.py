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


def tokens(text: str, language: str | None = None) -> list[str]:
    """Content words in order: elisions split, folded, stopwords of the language (else of all known) dropped."""
    stop = STOPWORDS.get((language or "")[:2].lower(), _ALL_STOPWORDS)
    words = _WORD.findall(fold(_ELISION.sub(" ", text)))
    return [w for w in words if w not in stop]


def shingle_list(text: str, language: str | None = None, k: int = SHINGLE) -> list[int]:
    """32-bit CRC hashes of word k-grams in text order (a short text gives its single gram)."""
    words = tokens(text, language)
    if len(words) < k:
        return [zlib.crc32(" ".join(words).encode())] if words else []
    return [zlib.crc32(" ".join(words[i : i + k]).encode()) for i in range(len(words) - k + 1)]


def shingles(text: str, language: str | None = None, k: int = SHINGLE) -> frozenset[int]:
    return frozenset(shingle_list(text, language, k))
