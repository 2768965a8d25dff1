"""Dateline and byline extraction on Reuters-21578 (reut2-000.sgm): exact-match rates against the gold elements.

How the comparison is kept honest: the .sgm stores AUTHOR and DATELINE as separate elements, but the wire delivered
one text.  Each story is rebuilt as that text -- the AUTHOR line (as written, e.g. "    by Janie Gabbett,
Reuters"), a newline, then DATELINE immediately followed by BODY (SGML entities decoded) -- and goes through the
whole ``normalize_entry`` as ``text/plain``.  The extracted ``dateline.city`` + ``dateline.date_text`` must equal
the gold DATELINE up to its dash (commas and runs of spaces ignored; case, spelling and typos such as "Marc 3" kept);
the extracted author list must be exactly the one name of the gold AUTHOR ("by NAME, Reuters" -> NAME, compared
case-insensitively because the gold has "BY TED D'AFFLISIO").  The body must start with the first words of BODY.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from pipeline.model import RawEntry
from pipeline.transforms.normalize import normalize_entry
from tests.unit.normalize.tables import CORPORA

SGM = CORPORA / "datelines" / "reuters21578" / "reut2-000.sgm"
TSV = CORPORA / "datelines" / "reuters21578" / "reut2-000.datelines.tsv"
DATELINE_MIN = 0.97
BYLINE_MIN = 0.95


@dataclass(frozen=True)
class Story:
    newid: str
    title: str | None
    author: str | None
    dateline: str | None
    body: str | None


def _element(block: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", block, re.S)
    return html.unescape(m.group(1)) if m else None


@pytest.fixture(scope="module")
def stories() -> list[Story]:
    assert SGM.is_file(), f"corpus not found: {SGM}"
    text = SGM.read_text(encoding="latin-1")
    out = [
        Story(
            re.search(r'NEWID="(\d+)"', block).group(1),
            _element(block, "TITLE"),
            _element(block, "AUTHOR"),
            _element(block, "DATELINE"),
            _element(block, "BODY"),
        )
        for block in re.findall(r"<REUTERS[^>]*>.*?</REUTERS>", text, re.S)
    ]
    assert len(out) == 1000
    return out


@pytest.fixture(scope="module")
def dispatches(stories):
    out = {}
    for s in stories:
        wire_text = (f"{s.author}\n" if s.author else "") + (s.dateline or "") + (s.body or "")
        raw = RawEntry(
            feed_url="https://www.reuters.com/", entry_key=s.newid, content_hash="", title=s.title,
            content=wire_text, content_type="text/plain",
        )  # fmt: skip
        out[s.newid] = normalize_entry(raw, now_ms=0)
    return out


def _tokens(text: str) -> str:
    return " ".join(text.replace(",", " ").split())


def _gold_head(dateline: str) -> str:
    """The gold DATELINE up to its dash: "    PORTLAND, Ore., Feb 26 - " -> "PORTLAND, Ore., Feb 26"."""
    return re.split(r"\s*-(?:\s|$)", dateline.strip(), maxsplit=1)[0]


def test_dateline_rate(stories, dispatches, record_property):
    gold = [s for s in stories if s.dateline and s.dateline.strip()]
    assert len(gold) == 925
    misses = []
    body_ok = 0
    for s in gold:
        d = dispatches[s.newid]
        got = " ".join(x for x in (d.dateline.city, d.dateline.date_text) if x) if d.dateline else ""
        if _tokens(got) != _tokens(_gold_head(s.dateline)):
            misses.append((s.newid, _gold_head(s.dateline), got))
        if s.body and " ".join(d.body.split())[:40] == " ".join(s.body.split())[:40]:
            body_ok += 1
    rate = 1 - len(misses) / len(gold)
    record_property(
        "rate: Reuters-21578 dateline exact match", f"{rate:.2%} ({len(gold) - len(misses)}/{len(gold)})"
    )
    record_property("rate: Reuters-21578 body starts after the dateline", f"{body_ok}/{len(gold)}")
    print(f"dateline exact match {rate:.2%}; misses: {misses}")
    assert rate >= DATELINE_MIN, misses


def test_dateline_fields_match_the_tsv_split(stories, dispatches, record_property):
    """Second view: city and date_text field by field against the .tsv's place/date columns (where it has both)."""
    rows = [ln.split("\t") for ln in TSV.read_text(encoding="utf-8").splitlines()[1:]]
    gold = {r[0]: (r[4], r[5]) for r in rows if len(r) > 5 and r[4] and r[5]}
    hits = 0
    for newid, (place, date) in gold.items():
        dl = dispatches[newid].dateline
        hits += bool(dl and dl.city == place and " ".join(dl.date_text.split()) == " ".join(date.split()))
    rate = hits / len(gold)
    record_property("rate: Reuters-21578 city/date fields vs .tsv split", f"{rate:.2%} ({hits}/{len(gold)})")
    assert rate >= DATELINE_MIN


def test_no_dateline_invented_where_the_gold_has_none(stories, dispatches, record_property):
    without = [s for s in stories if not (s.dateline and s.dateline.strip())]
    invented = [(s.newid, dispatches[s.newid].dateline) for s in without if dispatches[s.newid].dateline]
    record_property(
        "rate: Reuters-21578 datelines invented on stories without one", f"{len(invented)}/{len(without)}"
    )
    assert len(invented) <= 0.02 * len(without), invented


def test_byline_rate(stories, dispatches, record_property):
    gold = [s for s in stories if s.author]
    assert len(gold) == 54
    misses = []
    for s in gold:
        name = re.sub(r"^by\s+", "", s.author.strip(), flags=re.I).split(",")[0].strip()
        got = [a.name.casefold() for a in dispatches[s.newid].authors]
        if got != [name.casefold()]:
            misses.append((s.newid, s.author.strip(), got))
    rate = 1 - len(misses) / len(gold)
    record_property(
        "rate: Reuters-21578 byline exact match", f"{rate:.2%} ({len(gold) - len(misses)}/{len(gold)})"
    )
    print(f"byline exact match {rate:.2%}; misses: {misses}")
    assert rate >= BYLINE_MIN, misses


def test_agency_and_signoff(stories, dispatches):
    """The "Reuter" sign-off and "by X, Reuters" credit name the agency and leave the body."""
    with_signoff = [s for s in stories if s.body and s.body.rstrip("\x03 \n").endswith("Reuter")]
    assert len(with_signoff) > 600
    for s in with_signoff:
        d = dispatches[s.newid]
        assert d.agency == "Reuters", s.newid
        assert not d.body.endswith("Reuter"), s.newid
