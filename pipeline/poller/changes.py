"""Which parsed entries are new, which changed, which the raw topic already has.  Pure.

In: the entries of one fetch and what the seen-entry index knows about their keys and links.  Out: ``Changes``:
new entries, updates (marked ``is_update``), the keys seen unchanged, and how many looked like GUID drift.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.model import RawEntry


@dataclass(frozen=True)
class Seen:
    """What the index remembers about one entry of one feed."""

    content_hash: str
    last_seen_ms: int
    link: str | None = None


@dataclass(frozen=True)
class Changes:
    new: list[RawEntry] = field(default_factory=list)
    updated: list[RawEntry] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # entry keys
    drift: int = 0  # entries whose GUID changed while their link stayed (counted, not re-sent)

    @property
    def to_send(self) -> list[RawEntry]:
        return self.new + self.updated


def classify(entries: list[RawEntry], seen: Mapping[str, Seen], key_by_link: Mapping[str, str]) -> Changes:
    """Split one fetch's entries against the index.

    GUID drift: a feed that mints a new GUID for the same article on every fetch would otherwise re-send it each
    time.  When an unknown key's link is known under another key, and that link is unique in this fetch (some
    feeds give every item the home page as link), the entry is the known one: it keeps its old key, is sent
    only if its content changed, and the drift is counted.
    """
    links = Counter(e.link for e in entries if e.link)
    changes = Changes()
    done: set[str] = set()
    drift = 0
    for entry in entries:
        key = entry.entry_key
        if key not in seen and entry.link and links[entry.link] == 1:
            old_key = key_by_link.get(entry.link)
            if old_key and old_key != key and old_key in seen:
                drift += 1
                entry = dataclasses.replace(entry, entry_key=old_key)
                key = old_key
        if key in done:  # the same entry twice in one document: the first one counts
            continue
        done.add(key)
        known = seen.get(key)
        if known is None:
            changes.new.append(entry)
        elif known.content_hash != entry.content_hash:
            changes.updated.append(dataclasses.replace(entry, is_update=True))
        else:
            changes.unchanged.append(key)
    return dataclasses.replace(changes, drift=drift)
