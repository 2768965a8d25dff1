"""Labeled dedup cases: ``tests/fixtures/dedup/cases.jsonl`` (recipes) -> pairs of ``Dispatch`` -> P/R.

The fixture holds labels and edit recipes, not corpus text (the corpora README asks not to copy them): each side
names a source text (``seed``, ``reuters:<newid>``, ``gnews:<index>``) and deterministic edits.  ``python -m
tests.unit.dedup.labeled`` regenerates the fixture.  Labels: ``duplicate`` (same story, other outlet),
``revision`` (same story, same source, changed text), ``refeed`` (same story, same source, same text), ``distinct``.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.normalize.urls import canonical_url

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
SGM = SHARED / "corpora/datelines/reuters21578/reut2-000.sgm"
DUP_TSV = SHARED / "corpora/datelines/reuters21578/reut2-000.exact_duplicate_bodies.tsv"
GNEWS = SHARED / "corpora/feeds/prof18-rssparser/rssparser/src/commonTest/resources/feed-test-source.xml"
SEED = SHARED / "samples/dispatch-fr-reuters-2022-12.txt"
FIXTURE = REPO / "tests/fixtures/dedup/cases.jsonl"
BOILERPLATE = REPO / "tests/fixtures/dedup/boilerplate.json"


@cache
def reuters() -> dict[str, tuple[str, str, str]]:
    """newid -> (title, dateline city, body with paragraphs joined by blank lines)."""
    s = SGM.read_text(encoding="latin-1")
    out = {}
    for m in re.finditer(r'<REUTERS[^>]*NEWID="(\d+)">(.*?)</REUTERS>', s, re.S):
        t = re.search(r"<TITLE>(.*?)</TITLE>", m.group(2), re.S)
        b = re.search(r"<BODY>(.*?)</BODY>", m.group(2), re.S)
        dl = re.search(r"<DATELINE>\s*([^,<]+)", m.group(2))
        if not (t and b):
            continue
        body = re.sub(r"\s*Reuter\s*&#3;\s*$", "", html.unescape(b.group(1)))
        paras = [" ".join(p.split()) for p in re.split(r"\n {3,}", body) if p.strip()]
        out[m.group(1)] = (
            html.unescape(t.group(1)).strip(),
            dl.group(1).strip() if dl else "",
            "\n\n".join(paras),
        )
    return out


@cache
def gnews() -> list[tuple[str, str]]:
    """(title, outlet) of the Google News FR items (titles only: same story, different words)."""
    s = GNEWS.read_text(encoding="utf-8")
    return [
        (html.unescape(t).rsplit(" - ", 1)[0], html.unescape(t).rsplit(" - ", 1)[-1])
        for t in re.findall(r"<item>\s*<title>(.*?)</title>", s, re.S)
    ]


def source_text(src: str) -> tuple[str, str]:
    if src == "seed":
        text = SEED.read_text(encoding="utf-8").strip()
        return "Poutine se rend en Biélorussie, Kyiv craint une nouvelle offensive", text
    kind, _, ref = src.partition(":")
    if kind == "reuters":
        title, _, body = reuters()[ref]
        return title, body
    title, _ = gnews()[int(ref)]
    return title, title


def _words_edit(body: str, n: int, rng: random.Random, fillers: list[str]) -> str:
    """Light copy-editing: n words dropped or a filler word inserted, paragraphs kept."""
    paras = [p.split(" ") for p in body.split("\n\n")]
    for _ in range(n):
        p = rng.choice([p for p in paras if len(p) > 3] or paras)
        i = rng.randrange(len(p))
        if rng.random() < 0.5:
            del p[i]
        else:
            p.insert(i, rng.choice(fillers))
    return "\n\n".join(" ".join(p) for p in paras)


def apply(side: dict, case_id: str) -> Dispatch:
    bp = json.loads(BOILERPLATE.read_text(encoding="utf-8"))
    if "negative_fr" in side:
        neg = bp["negatives_fr"][side["negative_fr"]]
        headline, body = neg["headline"], neg["body"]
    else:
        headline, body = source_text(side["src"])
    rng = random.Random(f"{case_id}/{side.get('uri')}")
    paras = body.split("\n\n")
    if "lead" in side:
        paras = paras[: side["lead"]]
    if "append_from" in side:
        paras.append(source_text(side["append_from"])[1].split("\n\n")[0])
    if "drop_last" in side:
        paras = paras[: -side["drop_last"]]
    if "number" in side:  # a corrected figure
        paras = [re.sub(r"\d+", lambda m: str(int(m.group()) + 1), paras[0], count=1), *paras[1:]]
    if "boilerplate" in side:
        extra = [bp["boilerplate"][i] for i in side["boilerplate"]]
        rng.shuffle(extra)
        paras = [*extra[:1], *paras, *extra[1:]]
    body = "\n\n".join(paras)
    if "edits" in side:
        body = _words_edit(body, side["edits"], rng, bp["fillers"])
    headline = side.get("headline", headline)
    if side.get("title_as_body"):
        body = headline
    uri = canonical_url(side["uri"])
    return Dispatch(
        id="provisional",
        uri=uri,
        guid=side.get("guid"),
        headline=headline,
        body=body,
        feed_url=side.get("feed", "http://127.0.0.1/feed.xml"),
        outlet=side.get("outlet"),
        language_hint=side.get("lang"),
        content_hash=hashlib.sha256(f"{headline}\n{body}".encode()).hexdigest(),
    )


@dataclass(frozen=True)
class Result:
    case: str
    group: str
    label: str
    predicted: str


def predict(a: Dispatch, b: Dispatch) -> str:
    dd = LocalDeduplicator(clock=lambda: 1_700_000_000.0)
    first, second = dd.offer(a), dd.offer(b)
    assert isinstance(first, Dispatch)
    if isinstance(second, DuplicateNotice):
        same_source = (a.outlet or a.feed_url) == (b.outlet or b.feed_url)
        return "refeed" if same_source else "duplicate"
    if second.story_id == first.story_id:
        return "revision"
    return "distinct"


def load_cases() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate() -> list[Result]:
    return [
        Result(c["case"], c["group"], c["label"], predict(apply(c["a"], c["case"]), apply(c["b"], c["case"])))
        for c in load_cases()
    ]


def precision_recall(
    results: list[Result], positive: set[str], predicted_positive: set[str]
) -> tuple[float, float, int]:
    tp = sum(r.label in positive and r.predicted in predicted_positive for r in results)
    fp = sum(r.label not in positive and r.predicted in predicted_positive for r in results)
    fn = sum(r.label in positive and r.predicted not in predicted_positive for r in results)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, tp + fn


def _gnews_cluster() -> list[tuple[str, str]]:
    """The same-story cluster listed in the first Google News FR item (titles and outlets)."""
    s = GNEWS.read_text(encoding="utf-8")
    desc = html.unescape(
        re.search(r"<description>(.*?)</description>", s.split("<item>", 1)[1], re.S).group(1)
    )
    titles = re.findall(r"<a [^>]*>(.*?)</a>.*?<font[^>]*>(.*?)</font>", desc, re.S)
    return [(html.unescape(t), html.unescape(o)) for t, o in titles]


def generate() -> list[dict]:
    r = reuters()
    cases: list[dict] = []

    def add(group: str, label: str, a: dict, b: dict) -> None:
        cases.append({"case": f"{group}-{len(cases)}", "group": group, "label": label, "a": a, "b": b})

    wire = {"feed": "http://127.0.0.1/reuters.xml", "outlet": "Reuters"}
    other = {"feed": "http://127.0.0.1/outlet.xml", "outlet": "Le Courrier"}
    for line in DUP_TSV.read_text().splitlines()[1:]:
        _, ids = line.split("\t")
        x, y = ids.split(",")
        add(
            "reuters-exact",
            "duplicate",
            {"src": f"reuters:{x}", "uri": f"https://r.example/{x}", **wire},
            {"src": f"reuters:{y}", "uri": f"https://o.example/{y}", **other},
        )
        add(
            "reuters-exact",
            "refeed",
            {"src": f"reuters:{x}", "uri": f"https://r.example/{x}", **wire},
            {"src": f"reuters:{y}", "uri": f"https://r.example/{y}", **wire},
        )
    add(
        "reuters-corrected",
        "revision",
        {"src": "reuters:505", "uri": "https://r.example/505", **wire},
        {"src": "reuters:550", "uri": "https://r.example/550", **wire},
    )
    for n in ("170", "615"):
        add(
            "reuters-corrected",
            "revision",
            {"src": f"reuters:{n}", "uri": f"https://r.example/{n}", "number": 1, **wire},
            {
                "src": f"reuters:{n}",
                "uri": f"https://r.example/{n}c",
                "headline": f"CORRECTED - {r[n][0]}",
                **wire,
            },
        )
    long_ids = [k for k, (_, _, b) in sorted(r.items(), key=lambda kv: int(kv[0])) if len(b.split()) >= 80]
    rng = random.Random(20221219)
    picked = ["seed", *[f"reuters:{k}" for k in rng.sample(long_ids, 40)]]
    for i, src in enumerate(picked):
        lang = "fr" if src == "seed" else "en"
        base = {"src": src, "uri": f"https://r.example/s{i}", "lang": lang, **wire}
        add(
            "synthetic-tracking",
            "refeed",
            base,
            {**base, "uri": f"https://r.example/s{i}?utm_source=rss&utm_medium=feed&fbclid=x{i}"},
        )
        add(
            "synthetic-retitled",
            "duplicate",
            base,
            {
                **base,
                **other,
                "uri": f"https://o.example/a{i}",
                "headline": f"Republished: story {i}",
                "edits": 4,
                "boilerplate": [0, 1],
            },
        )
        add(
            "synthetic-boilerplate",
            "duplicate",
            {**base, "boilerplate": [2, 3]},
            {**base, **other, "uri": f"https://o.example/b{i}", "boilerplate": [3, 2, 4, 5]},
        )
        add(
            "synthetic-lead",
            "duplicate",
            base,
            {**base, **other, "uri": f"https://o.example/l{i}", "lead": 3},
        )
        donor = picked[(i + 7) % len(picked)] if src != "seed" else "reuters:5"
        add(
            "synthetic-update",
            "revision",
            base,
            {
                **base,
                "uri": f"https://r.example/s{i}-update",
                "headline": f"UPDATE 1-{i}",
                "append_from": donor,
            },
        )
        add("synthetic-update-same-url", "revision", base, {**base, "append_from": donor, "edits": 2})
    # hard negatives: same dateline, same topic (templated earnings), same-topic French dispatches
    by_city: dict[str, list[str]] = {}
    for k, (_, city, b) in sorted(r.items(), key=lambda kv: int(kv[0])):
        if len(b.split()) >= 40:
            by_city.setdefault(city, []).append(k)
    dups = {x for line in DUP_TSV.read_text().splitlines()[1:] for x in line.split("\t")[1].split(",")}
    for city in ("NEW YORK", "WASHINGTON", "LONDON", "TOKYO", "CHICAGO"):
        ids = [k for k in by_city.get(city, []) if k not in dups][:13]
        for x, y in zip(ids, ids[1:], strict=False):
            add(
                "negative-dateline",
                "distinct",
                {"src": f"reuters:{x}", "uri": f"https://r.example/{x}", **wire},
                {"src": f"reuters:{y}", "uri": f"https://o.example/{y}", **other},
            )
    earnings = [
        k
        for k, (t, _, b) in sorted(r.items(), key=lambda kv: int(kv[0]))
        if re.search(r"\b(1ST|2ND|3RD|4TH) QTR NET\b|\bYEAR NET\b", t)
        and k not in dups
        and len(b.split()) >= 20
    ][:30]
    for x, y in zip(earnings, earnings[1:], strict=False):
        add(
            "negative-topic",
            "distinct",
            {"src": f"reuters:{x}", "uri": f"https://r.example/{x}", **wire},
            {"src": f"reuters:{y}", "uri": f"https://o.example/{y}", **other},
        )
    for j in (0, 1):
        add(
            "negative-seed-topic",
            "distinct",
            {"src": "seed", "uri": "https://r.example/seed", "lang": "fr", **wire},
            {"negative_fr": j, "uri": f"https://r.example/neg{j}", "lang": "fr", **wire},
        )
    cluster = _gnews_cluster()
    for k in range(1, len(cluster)):
        add(
            "gnews-cluster",
            "duplicate",
            {
                "src": "gnews:0",
                "uri": "https://news.google.example/0",
                "headline": cluster[0][0],
                "outlet": cluster[0][1],
            },
            {
                "src": "gnews:0",
                "uri": f"https://news.google.example/{k}",
                "headline": cluster[k][0],
                "outlet": cluster[k][1],
                "title_as_body": True,
            },
        )
    return cases


if __name__ == "__main__":
    rows = generate()
    FIXTURE.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in rows), encoding="utf-8")
    print(f"{len(rows)} cases -> {FIXTURE}")
