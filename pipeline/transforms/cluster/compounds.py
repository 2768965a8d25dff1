"""German compounds -> their two parts, so "Impfstoffsuche" and "Impfstoff ... Suche" share words.

In: one lowercased German word and German word frequencies (wordfreq's small list).  Out: (modifier, head) when the
word is a compound of two common words, else ().  German writes "Gesundheitsminister" where English writes "health
minister", so two German reports of one event share few whole words (held-out German same-event pairs linked half as
often as English ones, docs/dedup.md); their parts match each other and, across languages, cognates ("minister").

A split is taken where both parts are words of at least ``MIN_PART`` letters with zipf >= 3, the modifier after
dropping a linking element (Fugenelement: "Gesundheit-s-", "Bund-es-", "Sonne-n-"); the most frequent pair wins (the
rarer part's frequency).  Words that are common themselves (zipf >= ``LEXICALISED_ZIPF``: "Unternehmen", "Regierung")
are left whole: their parts ("unter" + "nehmen") say nothing about the word.

The compound splitters in the registry are GPL-3.0 (compound-split) or need a newer Python (charsplit-fst); this is
a frequency split over the word list the stage already loads, in the spirit of Koehn & Knight (2003).
"""

from __future__ import annotations

from collections.abc import Mapping

MIN_WORD = 8  # shorter words are rarely compounds of two words of MIN_PART letters
MIN_PART = 4
LEXICALISED_ZIPF = 4.0
_KNOWN = 1e-6  # zipf 3
_LINKING = ("", "s", "es", "n", "en", "e", "er")


def split(word: str, freq: Mapping[str, float]) -> tuple[str, ...]:
    """(modifier, head) of a lowercased German compound, or () when ``word`` is not one (or is a common word)."""
    if len(word) < MIN_WORD or freq.get(word, 0.0) >= 10 ** (LEXICALISED_ZIPF - 9) or not word.isalpha():
        return ()
    best: tuple[float, str, str] | None = None
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        head = freq.get(word[i:], 0.0)
        if head < _KNOWN:
            continue
        written = word[:i]
        for link in _LINKING:
            if not written.endswith(link):
                continue
            modifier = written[: len(written) - len(link)]
            score = min(head, freq.get(modifier, 0.0))
            if len(modifier) >= MIN_PART and score >= _KNOWN and (best is None or score > best[0]):
                best = (score, modifier, word[i:])
    return best[1:] if best else ()
