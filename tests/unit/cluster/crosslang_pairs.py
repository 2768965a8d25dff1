"""Build the cross-language pairs (``eval_data.CROSSLANG``, not committed): cross-language pairs from the WMT09 news test set.

Source (see tests/fixtures/cluster/README.md): ``newstest2009`` of the Fourth Workshop on Statistical Machine
Translation (WMT09), the SGML files ``newstest2009-src.{en,de,fr,es,it}.sgm`` as kept in the WMT ``dev`` folder of
GitHub ``Jun1770watanabe/Seq2seq``, commit e8f4c5b820ba30820cbb4b98b4113741693949c9 (``dev/``; the files were
removed from the repository later).  newstest2009 is multi-way parallel: 111 news articles published 2008-09-29 ..
2008-10-13 by Czech, German, English, Spanish, French, Hungarian and Italian outlets, each professionally translated
into all the other languages.  Each ``<doc docid="outlet/YYYY/MM/DD/n">`` has its headline in ``<hl>`` and its body
in ``<p>`` segments.

So these are *translations of one article*, an easier case than independent outlets reporting one event: a ``same``
pair is one article in two languages (same names, same numbers, same order).  Pairs:

* ``same``: one document in two of en/de/fr/es/it.  Each document gets one language pair, rotating over the 10
  pairs in the documents' hash order within its split; 3 documents in 8 get a second one (5 pairs on in the
  rotation).  About 1 same : 2 unrelated (not 1 : 3) to keep the fixture near 1.5 MB.
* ``unrelated``: for each same pair (document d, languages a/b), d in a with another document e in b, e from the
  same split and not in one ``SAME_STORY`` group with d (documents about one event, listed by hand): (1) the e
  whose English version shares most words with d's (Jaccard of lowercased words of >= 4 letters: a topical hard
  negative; all articles are from the same two weeks, many about the 2008 financial crisis), then (2) a random e
  (seeded by the pair) in the next language pair of the rotation.
* Split by document, not by pair: ``tune`` when sha1(docid) % 3 == 0, else ``heldout``; both sides of every pair are
  in the same split, so no held-out pair shares a document with a tune pair.
* ``published*_ms``: the date in the docid (UTC midnight; the source's date of the original article, both sides the
  same).  ``outlet*``: None: a translation was not published by the original outlet (the docid's outlet is only kept
  in the pair id).
* A document is dropped when any of its five versions is empty or is not detected as its language by the
  pipeline's identifier.  Headline = the ``<hl>`` segments; text = the body segments, cut at ``MAX_CHARS``.

    PYTHONPATH=$PWD python -m tests.unit.cluster.crosslang_pairs DIR   # DIR holds newstest2009-src.{lang}.sgm
"""

from __future__ import annotations

import hashlib
import html
import itertools
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipeline.transforms.enrich.language import LanguageIdentifier
from tests.unit.cluster import eval_data

LANGS = ("de", "en", "es", "fr", "it")
LANG_PAIRS = tuple(itertools.combinations(LANGS, 2))  # 10
MAX_CHARS = 1500
_DOC = re.compile(r'<doc docid="([^"]+)"[^>]*>(.*?)</doc>', re.S)
_HL = re.compile(r"<hl>(.*?)</hl>", re.S)
_SEG = re.compile(r"<seg[^>]*>(.*?)</seg>", re.S)
_DATE = re.compile(r"^[^/\\]+[/\\](\d{4})[/\\](\d{2})[/\\](\d{2})[/\\]")
_WORD = re.compile(r"[^\W\d_]{4,}")
# Documents about one event (read from their English headlines and leads when the unrelated pairs were first drawn,
# before any evaluation): never paired as ``unrelated``.  Conservative: the whole US bailout story of 2008-09-28 ..
# 30 (the deal, the House vote, the markets' fall after it and the comments on it) counts as one event.
SAME_STORY = (
    frozenset(
        {"abces/2008/09/29/98765", "ledevoir/2008/09/29/19468", "lefigaro/2008/09/29/76025"}
    ),  # Newman dies
    frozenset(
        {  # the $700bn US bailout: deal, House rejection, markets' fall, comments
            "ihned.cz/2008/09/29/36559",
            "ihned.cz/2008/09/30/36776",
            "ledevoir/2008/09/29/19467",
            "napi.hu/2008/09/29/7558",
            "nemzet.hu/2008/09/29/35600",
            "sz/2008/09/29/32686",
            "lesechos/2008/09/29/114172",
            "welt/2008/09/29/68898",
            "nytimes/2008/09/29/182597",
            "hvg.hu/2008/09/30/52694",
            "times-of-london/2008/09/29/45568",
            "corriere/2008/10/13/89.html",
        }
    ),  # fmt: skip
    frozenset({"liberation/2008/09/29/20535", "nol.hu/2008/09/30/19778"}),  # Belarus election of 2008-09-28
    frozenset(
        {  # the Bavarian and Austrian elections of 2008-09-28
            "nol.hu/2008/09/29/19750",
            "nemzet.hu/2008/09/29/35623",
            "times-of-london/2008/09/29/45539",
        }
    ),  # fmt: skip
)


def _clean(s: str) -> str:
    return " ".join(html.unescape(s).split())


def _docs(path: Path) -> dict[str, tuple[str, str]]:
    """docid -> (headline, body) of one language's file."""
    out = {}
    for docid, inner in _DOC.findall(path.read_text(encoding="utf-8")):
        head = " ".join(_clean(s) for hl in _HL.findall(inner) for s in _SEG.findall(hl))
        body = " ".join(_clean(s) for s in _SEG.findall(_HL.sub("", inner)))
        out[docid] = (head, body)
    return out


def _hash(s: str) -> int:
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16)


def split(docid: str) -> str:
    return "tune" if _hash(docid) % 3 == 0 else "heldout"


def _published_ms(docid: str) -> int | None:
    m = _DATE.match(docid)
    if m is None:
        return None
    y, mo, d = map(int, m.groups())
    return int(datetime(y, mo, d, tzinfo=UTC).timestamp() * 1000)


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _same_story(d: str, e: str) -> bool:
    return any(d in g and e in g for g in SAME_STORY)


def _row(pid: str, label: str, d: str, e: str, a: str, b: str, docs: dict) -> dict:
    (h1, t1), (h2, t2) = docs[a][d], docs[b][e]
    return {"pair": pid, "split": split(d), "label": label, "lang1": a, "lang2": b,
            "headline1": h1, "headline2": h2, "text1": t1[:MAX_CHARS], "text2": t2[:MAX_CHARS],
            "published1_ms": _published_ms(d), "published2_ms": _published_ms(e),
            "outlet1": None, "outlet2": None}  # fmt: skip


def build(folder: Path) -> list[dict]:
    lid = LanguageIdentifier.build()
    docs = {lang: _docs(folder / f"newstest2009-src.{lang}.sgm") for lang in LANGS}
    ids = sorted(set.intersection(*(set(docs[lang]) for lang in LANGS)), key=lambda d: (_hash(d), d))
    kept = [
        d
        for d in ids
        if all(
            docs[lang][d][1] and lid.detect(f"{docs[lang][d][0]}\n\n{docs[lang][d][1]}").code == lang
            for lang in LANGS
        )
    ]
    english = {d: _words(" ".join(docs["en"][d])) for d in kept}
    rows, seen = [], {"tune": 0, "heldout": 0}
    for d in kept:
        i = seen[split(d)]  # the rotation runs within each split, so that both cover the 10 language pairs
        seen[split(d)] += 1
        others = [e for e in kept if e != d and split(e) == split(d) and not _same_story(d, e)]
        hard = sorted(others, key=lambda e: (-_jaccard(english[d], english[e]), _hash(e)))
        choices = [i % 10] + ([(i + 5) % 10] if i % 8 < 3 else [])  # 3 documents in 8: 2 pairs
        for k, lp in enumerate(choices):
            a, b = LANG_PAIRS[lp]
            rows.append(_row(f"wmt09:{d}:{a}-{b}", "same", d, d, a, b, docs))
            rows.append(_row(f"wmt09:{d}|{hard[k]}:{a}-{b}", "unrelated", d, hard[k], a, b, docs))
            rng = random.Random(f"{d}:{a}-{b}")
            e = rng.choice([x for x in others if x not in hard[: len(choices)]])
            a2, b2 = LANG_PAIRS[(lp + 1) % 10]
            rows.append(_row(f"wmt09:{d}|{e}:{a2}-{b2}", "unrelated", d, e, a2, b2, docs))
    return rows


if __name__ == "__main__":
    rows = build(Path(sys.argv[1]))
    eval_data.write(rows, eval_data.CROSSLANG)
