"""Boilerplate paragraphs: removed from the body, and kept as fields where they carry meaning.

In: the clean paragraphs of a body.  Out: the paragraphs without boilerplate, plus what the credit lines said:
contributors with roles ("Reporting by X; Editing by Y", "(Reportage X, édité par Y)") and agencies ("(Avec
Reuters)", a "Reuter" sign-off, a copyright line).  Markers such as "Advertisement" or "Lire aussi : ..." are dropped
wherever they are; credit lines only at the end, where wires put them.
"""

from __future__ import annotations

import re

from pipeline.model import Author
from pipeline.transforms.normalize.agency import canonical_agency, find_agency
from pipeline.transforms.normalize.byline import Byline, read_byline

MAX_TRAILING = 4  # credit/sign-off paragraphs looked at from the end

_MARKER_RE = re.compile(
    r"(?:advertisement|publicité|publicite|anzeige|werbung|publicidad|pubblicità|publicidade|sponsored|"
    r"continue reading|lire la suite|weiterlesen|ver más|leia mais|continua a leggere)\s*[.:…]*",
    re.IGNORECASE,
)
_SEE_ALSO_RE = re.compile(
    r"(?:lire aussi|à lire aussi|a lire aussi|voir aussi|read more|read also|also read|related|see also|"
    r"lesen sie auch|mehr zum thema|lee también|lea también|leia também|veja também|leggi anche)\b\s*[:：\-–—]",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(
    r"(?:©|\(c\)|copyright\b|all rights reserved|tous droits réservés|our standards:)", re.IGNORECASE
)
# desk initials: AFP "jdo/roc", "bur-fjb/bds"; Lusa "JS // ROC"
_INITIALS_SIGNOFF_RE = re.compile(r"[a-z]{2,6}(?:[-/][a-z0-9]{2,6})+|[A-Z]{2,6}(?:\s*//?\s*[A-Z]{2,6})+")
_TRAILING_PAREN_RE = re.compile(r"\s*\(([^()]{3,400})\)\s*\.?\s*$")


def _agency_only(paragraph: str) -> str | None:
    """A sign-off such as "Reuter" or "AFP": a paragraph that is nothing but an agency name."""
    if len(paragraph) > 40:
        return None
    return canonical_agency(paragraph.strip(" .()—–-"))


def _credit(paragraph: str) -> Byline | None:
    if len(paragraph) > 400:
        return None
    return read_byline(paragraph)


def strip_boilerplate(paragraphs: list[str]) -> tuple[list[str], tuple[Author, ...], tuple[str, ...]]:
    """Paragraphs -> (paragraphs without boilerplate, credited contributors, credited agencies)."""
    paras = [
        p for p in paragraphs if not (_MARKER_RE.fullmatch(p) or (len(p) <= 300 and _SEE_ALSO_RE.match(p)))
    ]
    credits: list[Byline] = []
    agencies: list[str] = []
    for _ in range(MAX_TRAILING):
        if not paras:
            break
        last = paras[-1]
        agency = _agency_only(last)
        if agency:
            agencies.append(agency)
            paras.pop()
            continue
        if len(last) <= 300 and (_COPYRIGHT_RE.match(last) or _COPYRIGHT_RE.search(last[:40])):
            found = find_agency(last)
            if found:
                agencies.append(found)
            paras.pop()
            continue
        if _INITIALS_SIGNOFF_RE.fullmatch(last):
            paras.pop()
            continue
        byline = _credit(last)
        if byline:
            credits.append(byline)
            paras.pop()
            continue
        m = _TRAILING_PAREN_RE.search(last)  # "... said. (Reporting by X; Editing by Y)"
        if m:
            byline = _credit(m.group(1))
            if byline:
                credits.append(byline)
                paras[-1] = last[: m.start()].rstrip()
                if not paras[-1]:
                    paras.pop()
                continue
        break
    credits.reverse()  # credits were collected from the end
    agencies.reverse()
    authors = tuple(a for b in credits for a in b.authors)
    credited = tuple(dict.fromkeys([*(g for b in credits for g in b.agencies), *agencies]))
    return paras, authors, credited
