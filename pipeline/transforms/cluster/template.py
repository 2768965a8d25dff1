"""One outlet's template text (consent notices, paywall and bot-check pages, "subscribe" blurbs) is not evidence.

In: the content-key codes of two records of one outlet, in text order (``Signature.sequence``).  Out: the codes that
lie inside a verbatim run of ``RUN`` or more keys the two texts share: text the outlet prints around its stories.  Two
different stories of one outlet scraped with its consent notice share that notice word for word; two reports of one
event by one outlet share names and words, but not long verbatim runs, unless one is a later version of the other,
which dedup already made one story (link.SAME_STORY) before clustering sees it.  On the SemEval tuning pairs, dropping
these codes from the same-outlet Jaccard kept every same-event link and removed 3 of 20 links between "somewhat
dissimilar" pairs (mean score 3 to 3.5) and 1 of 2 between unrelated ones (docs/dedup.md).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

RUN = 8  # keys in a row, stop words left out: about a sentence of ordinary text


def shared_runs(a: Sequence[int], b: Sequence[int], run: int = RUN) -> set[int]:
    """Codes inside a window of ``run`` consecutive codes that occurs in both sequences (16-bit codes)."""
    if len(a) < run or len(b) < run:
        return set()
    # windows as byte slices of the 2-byte codes: hashed and compared in C, no tuple per window
    ab, bb, width = array("H", a).tobytes(), array("H", b).tobytes(), 2 * run
    windows = {bb[i : i + width] for i in range(0, len(bb) - width + 2, 2)}
    hits = [i for i in range(0, len(ab) - width + 2, 2) if ab[i : i + width] in windows]
    return {a[j] for i in hits for j in range(i // 2, i // 2 + run)}
