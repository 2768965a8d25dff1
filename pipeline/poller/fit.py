"""Fit a feed entry into one Kafka record: the broker refuses records over ``max.message.bytes`` (1 MB by default).

In: a ``RawEntry`` and the record limit.  Out: its encoded bytes, with the longest text fields (content, summary,
then title) cut until the record fits.  The entry's identity (key) and ``content_hash`` are those of what was
fetched, so a later change of the full text is still seen as an update.  Downstream, normalize keeps at most
100,000 characters of body anyway (docs/normalize.md), so what is cut here is never shown.
"""

from __future__ import annotations

import dataclasses

from pipeline.avro.codec import encode_raw_entry
from pipeline.model import RawEntry

FIELDS = ("content", "summary", "title")


def encode_fitted(entry: RawEntry, max_bytes: int) -> tuple[bytes, bool]:
    """``(record bytes, True when a field was cut)``; raises ``ValueError`` if even empty texts do not fit."""
    value = encode_raw_entry(entry)
    cut = False
    while len(value) > max_bytes:
        longest = max(FIELDS, key=lambda f: len(getattr(entry, f) or ""))
        text = getattr(entry, longest) or ""
        if not text:
            raise ValueError(
                f"raw entry of {len(value):,} bytes does not fit {max_bytes:,} even without its text"
            )
        # Cut by the overshoot (bytes >= characters removed), at least by half, so this ends in a few rounds.
        keep = max(0, min(len(text) // 2, len(text) - (len(value) - max_bytes)))
        entry = dataclasses.replace(entry, **{longest: text[:keep]})
        value, cut = encode_raw_entry(entry), True
    return value, cut
