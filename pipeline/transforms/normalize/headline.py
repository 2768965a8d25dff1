"""Headlines: entity/markup/mojibake repair, wire revision markers stripped and kept as a hint, agency credit split off.

In: a feed title ("UPDATE 2-Russia's Putin ...", "CORRECTED-UPDATE 1-...", "MISE A JOUR 1-...",
"Wall St. Bears Claw Back Into the Black (Reuters)", "Sony #39;s &lt;b&gt;profit&lt;/b&gt;").  Out: the clean headline,
the revision hint ("UPDATE 2", "CORRECTED-UPDATE 1", None) for the dedup stage, and the agency named in a trailing
credit.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pipeline.transforms.normalize.agency import canonical_agency
from pipeline.transforms.normalize.html import html_blocks, looks_like_html
from pipeline.transforms.normalize.text import clean_line, repair_entities

_MARKERS = (
    r"UPDATE|MISE [AÀ] JOUR|ACTUALIZA(?:CIÓN)?|ATUALIZA(?:ÇÃO)?|AGGIORNA(?:MENTO)?|ROUNDUP|WRAPUP|"
    r"CORRECTED|CORRECTION|CORRIG[ÉE]|RECTIFICATIF|KORREKTUR|CORREGIDO|CORRETO|CORRETTO|"
    r"REFILE|RPT|REPEAT|EXCLUSIVE|EXCLUSIF|EXCLUSIVA|EXCLUSIVO|EXKLUSIV|ESCLUSIVA"
)
# Wire style: upper case, then "-" (Reuters) or ":" (dpa "ROUNDUP 2:"); site style: "Exclusive: ..." with a colon.
_CAPS_MARKER_RE = re.compile(rf"(?P<m>(?:{_MARKERS})(?:\s+\d{{1,2}})?)\s*(?:-|–|—|:)\s*")
_TITLE_MARKER_RE = re.compile(
    r"(?P<m>(?:update|exclusive|exclusif|exclusiva|corrected|correction)(?:\s+\d{1,2})?)\s*:\s+",
    re.IGNORECASE,
)
_CREDIT_TAIL_RE = re.compile(
    r"\s*(?:[(\[]\s*(?P<p>[^()\[\]]{2,40}?)\s*[)\]]|\s[-–—|]\s*(?P<d>[^-–—|]{2,40}))\s*$"
)


class HeadlineParts(NamedTuple):
    headline: str
    revision_hint: str | None
    agency: str | None


def split_headline(title: str | None, *, french: bool = False) -> HeadlineParts:
    """Title -> (clean headline, revision hint, agency from a trailing "(Reuters)" / "- Reuters" credit)."""
    if not title:
        return HeadlineParts("", None, None)
    text = repair_entities(title)
    if "<" in text and looks_like_html(text):
        text = " ".join(html_blocks(text))
    text = clean_line(text, french=french)
    markers: list[str] = []
    while True:
        m = _CAPS_MARKER_RE.match(text) or _TITLE_MARKER_RE.match(text)
        if not m or m.end() >= len(text):
            break
        markers.append(" ".join(m.group("m").upper().split()).replace("MISE À JOUR", "MISE A JOUR"))
        text = text[m.end() :]
    agency = None
    # every trailing credit goes ("Talks (REUTER) - Reuters"), so cleaning a clean headline changes nothing; the
    # agency is the last one written
    while (m := _CREDIT_TAIL_RE.search(text)) is not None and m.start() > 0:
        credit = canonical_agency(m.group("p") or m.group("d"))
        if not credit:
            break
        agency = agency or credit
        text = text[: m.start()].rstrip()
    return HeadlineParts(text, "-".join(markers) or None, agency)


def clean_headline(title: str | None) -> tuple[str, str | None]:
    """Title -> (clean headline without update markers, revision hint such as "UPDATE 2" or None)."""
    parts = split_headline(title)
    return parts.headline, parts.revision_hint
