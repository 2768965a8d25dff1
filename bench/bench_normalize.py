"""Benchmark the normalize stage on the corpus items: a table of items/s, plain loop vs Beam stage, in one run.

Items: every entry of the real feeds in ../shared/corpora/feeds (miniflux, prof18-rssparser, rss-parser,
simple-feed-parser; parsed once with the poller's ``parse_feed``, as the pipeline gets them), the 1,000 Reuters-21578
stories as plain-text wire copy (AUTHOR + DATELINE + BODY), and the seed dispatch as RSS HTML and as plain text.
Measures ``normalize_entry`` as a plain loop (all items and per kind), a few of its parts alone, and the
``NormalizeDispatches`` stage on the FnApiRunner (named explicitly, in-process worker) over the same items (fed by
index and looked up in the worker, as if decoded in the same fused stage; the runner's own floor is shown too),
then prints the ratio Beam / plain loop.  Items/s per core is items per CPU-second of this process.
Run: ``.venv/bin/python bench/bench_normalize.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import html
import pickle
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.model import KafkaRecord, RawEntry
from pipeline.poller.parse import parse_feed
from pipeline.transforms.normalize import NormalizeDispatches, canonical_url, normalize_entry, parse_date
from pipeline.transforms.normalize.html import sanitize_html, text_blocks

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
FEEDS = SHARED / "corpora" / "feeds"
REAL_FEEDS = ("miniflux", "prof18-rssparser", "rss-parser", "simple-feed-parser")
SGM = SHARED / "corpora" / "datelines" / "reuters21578" / "reut2-000.sgm"
SEED = SHARED / "samples" / "dispatch-fr-reuters-2022-12.txt"
NOW_MS = 1_671_451_200_000


def feed_entries() -> list[RawEntry]:
    out: list[RawEntry] = []
    for folder in REAL_FEEDS:
        for path in sorted((FEEDS / folder).rglob("*")):
            if path.is_file() and path.suffix in (".xml", ".rss", ".atom") and "output" not in path.parts:
                parsed = parse_feed(
                    path.read_bytes(), {}, f"https://corpus.invalid/{path.relative_to(FEEDS)}", NOW_MS
                )
                out.extend(parsed.entries)
    return out


def reuters_entries() -> list[RawEntry]:
    out = []
    for block in re.findall(r"<REUTERS[^>]*>.*?</REUTERS>", SGM.read_text(encoding="latin-1"), re.S):

        def element(tag: str, block: str = block) -> str:
            m = re.search(rf"<{tag}>(.*?)</{tag}>", block, re.S)
            return html.unescape(m.group(1)) if m else ""

        author = element("AUTHOR")
        text = (f"{author}\n" if author else "") + element("DATELINE") + element("BODY")
        newid = re.search(r'NEWID="(\d+)"', block).group(1)
        out.append(
            RawEntry(
                feed_url="https://www.reuters.com/",
                entry_key=newid,
                content_hash=newid,
                title=element("TITLE") or None,
                content=text,
                content_type="text/plain",
            )
        )
    return out


def seed_entries() -> list[RawEntry]:
    text = SEED.read_text(encoding="utf-8")
    paras = [p.strip() for p in text.split("\n\n") if p.strip()]
    as_html = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paras)
    common = dict(feed_url="https://www.example.com/fr/rss", content_hash="s", feed_language="fr")
    return [
        RawEntry(
            entry_key="seed-html",
            content=as_html,
            content_type="text/html",
            title="Poutine en Biélorussie",
            **common,
        ),
        RawEntry(entry_key="seed-text", content=text, content_type="text/plain", **common),
    ]


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """(items/s wall, items per CPU-second)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return n / wall, n / cpu


def loop(items: list[RawEntry]) -> Callable[[], object]:
    return lambda: [normalize_entry(raw, now_ms=NOW_MS) for raw in items]


class Replay(beam.DoFn):
    """index -> (KafkaRecord, RawEntry), loaded once per worker from a pickle.  Like the decode step fused before
    normalize in the real graph: no RawEntry is encoded between Beam steps."""

    def __init__(self, path: str):
        self.path = path

    def setup(self) -> None:
        with open(self.path, "rb") as f:
            self.items = pickle.load(f)

    def process(self, i: int):
        yield KafkaRecord("raw", 0, i, None, None, 0), self.items[i]


def run_beam(path: str, n: int, normalize: bool = True) -> None:
    p = beam.Pipeline(runner=FnApiRunner())
    pairs = p | "Create" >> beam.Create(range(n), reshuffle=False) | "Replay" >> beam.ParDo(Replay(path))
    if normalize:
        pairs = (pairs | "NormalizeDispatches" >> NormalizeDispatches())["main"]
    _ = pairs | "Count" >> beam.combiners.Count.Globally()
    p.run().wait_until_finish()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--repeat", type=int, default=3, help="times the corpus items are repeated per measurement"
    )
    args = ap.parse_args()
    r = args.repeat

    feeds, wire, seed = feed_entries(), reuters_entries(), seed_entries()
    corpus = feeds + wire + seed
    items = corpus * r
    chars = sum(len(e.content or e.summary or "") for e in corpus)
    print(
        f"corpus items: {len(feeds)} feed entries + {len(wire)} Reuters-21578 stories + {len(seed)} seed = "
        f"{len(corpus)} (mean {chars / len(corpus):.0f} characters of content), x{r} = {len(items)}"
    )
    loop(corpus[:200])()  # warm up caches and lazy imports

    rows: list[tuple[str, int, float, float]] = []

    def measure(name: str, fn: Callable[[], object], n: int) -> None:
        rows.append((name, n, *timed(fn, n)))

    contents = [(e.content or e.summary or "", "html" in (e.content_type or "")) for e in feeds] * r
    dates = [e.published_raw for e in feeds if e.published_raw] * r
    links = [e.link for e in feeds if e.link] * r
    measure("normalize_entry, plain loop, all items", loop(items), len(items))
    measure("  feed entries only (HTML)", loop(feeds * r), len(feeds) * r)
    measure("  Reuters-21578 only (plain text)", loop(wire * r), len(wire) * r)
    measure(
        "  part: content -> clean paragraphs",
        lambda: [text_blocks(c, is_html=h) for c, h in contents],
        len(contents),
    )
    measure("  part: sanitize_html", lambda: [sanitize_html(c) for c, h in contents if h], len(contents))
    measure(
        "  part: parse_date (feed dates)", lambda: [parse_date(d, now_ms=NOW_MS) for d in dates], len(dates)
    )
    measure("  part: canonical_url (feed links)", lambda: [canonical_url(u) for u in links], len(links))
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "items.pickle")
        with open(path, "wb") as f:
            pickle.dump(items, f)
        run_beam(path, 50)  # warm up the runner
        measure(
            "Beam floor: replay + count, no normalize", lambda: run_beam(path, len(items), False), len(items)
        )
        measure(
            "NormalizeDispatches on FnApiRunner, all items", lambda: run_beam(path, len(items)), len(items)
        )

    print(f"\n{'measurement':46} {'items':>7} {'items/s':>9} {'items/s/core':>13}")
    for name, n, wall, cpu in rows:
        print(f"{name:46} {n:7d} {wall:9.0f} {cpu:13.0f}")
    plain, beam_stage = rows[0], rows[-1]
    print(
        f"\nratio Beam / plain loop (same {len(items)} items, same run): "
        f"wall {beam_stage[2] / plain[2]:.2f}, per core {beam_stage[3] / plain[3]:.2f}"
    )


if __name__ == "__main__":
    main()
