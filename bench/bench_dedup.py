"""Benchmark dedup: items/s and memory per tracked item at 100k and 1M tracked items, plus the Beam stage and
the state-cache sizing workaround (objsize), in one run that prints a table.

Tracked items are preloaded directly into ``LocalDeduplicator``'s tables (identity, content, LSH buckets, the same
records the Beam state holds), built from synthetic fingerprints so loading 1M takes seconds, not the hours of
shingling 1M texts; memory per tracked item is the RSS growth while loading, divided by the count.  Throughput is
then measured by offering synthetic dispatches (random-vocabulary texts of ~150 words in 5 paragraphs: 80 % new,
10 % retitled near-duplicates, 10 % exact re-feeds) against the loaded index.  The Beam rows run
``DeduplicateStories`` on the FnApiRunner over 3,000 new items, first without, then with ``statecache.apply()``.
Run: ``.venv/bin/python bench/bench_dedup.py [--sizes 100000 1000000] [--offers 3000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time
from array import array

from pipeline.model import Dispatch
from pipeline.transforms.dedup.buckets import table_key
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.dedup.near import NearEntry
from pipeline.transforms.dedup.packed import pack_story
from pipeline.transforms.dedup.sketch import BANDS, LEAD_BANDS, SAMPLE, Fingerprint
from pipeline.transforms.dedup.stateful import StoryState

NOW = 1_700_000_000.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def preload(dd: LocalDeduplicator, n: int, rng: random.Random) -> None:
    now_ms = int(NOW * 1000)
    for i in range(n):
        sid = f"{i:08x}-0000-5000-8000-000000000000"
        h = hashlib.sha256(str(i).encode()).hexdigest()
        state = StoryState(sid, 1, sid, h, f"Headline {i}", 5, now_ms)
        record = pack_story(state)  # the index's packed form (packed.py), one record shared by both tables
        dd.by_identity[table_key(f"url:https://example.org/{i}")] = record
        dd.by_content[table_key(f"hash:{h}")] = record
        sample = array("I", sorted(rng.getrandbits(32) for _ in range(SAMPLE))).tobytes()
        entry = dd.packer.pack(
            NearEntry(sid, sid, 1, "feed", f"Headline {i}", 5, Fingerprint((), sample, 120), sid, now_ms)
        )
        for b in range(BANDS + LEAD_BANDS):
            key = f"b{b}:{rng.getrandbits(64):016x}"
            dd.buckets[table_key(key)] = entry  # the table's compact form: one entry stored bare


def make_items(count: int, rng: random.Random) -> list[Dispatch]:
    vocab = [f"w{i}" for i in range(20_000)]
    items: list[Dispatch] = []
    for i in range(count):
        r = rng.random()
        if items and r < 0.1:  # retitled republication, another outlet
            src = rng.choice(items)
            body, headline, uri, outlet = (
                src.body + "\n\nSubscribe to our newsletter.",
                f"Re: {i}",
                f"https://o.example/{i}",
                "Other",
            )
        elif items and r < 0.2:  # exact re-feed
            src = rng.choice(items)
            body, headline, uri, outlet = src.body, src.headline, src.uri, src.outlet
        else:
            body = "\n\n".join(" ".join(rng.choices(vocab, k=30)) for _ in range(5))
            headline, uri, outlet = f"Story {i}", f"https://w.example/{i}", "Wire"
        h = hashlib.sha256(f"{headline}\n{body}".encode()).hexdigest()
        items.append(Dispatch("p", uri, None, headline, body, "http://f", outlet=outlet, content_hash=h))
    return items


def offer_rate(dd: LocalDeduplicator, items: list[Dispatch]) -> float:
    t0 = time.perf_counter()
    for d in items:
        dd.offer(d)
    return len(items) / (time.perf_counter() - t0)


def beam_rate(items: list[Dispatch], patched: bool) -> float:
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from pipeline.beam import statecache
    from pipeline.transforms.dedup import DeduplicateStories

    if not patched:
        statecache.apply = lambda: False  # type: ignore[assignment]  # measure Beam's own sizing
    else:
        import importlib

        importlib.reload(statecache)
    t0 = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner()) as p:
        _ = p | beam.Create(items) | DeduplicateStories(horizon_s=7 * 86400, clock=lambda: NOW)
    return len(items) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--offers", type=int, default=3000)
    ap.add_argument("--beam-items", type=int, default=3000)
    args = ap.parse_args()
    rng = random.Random(7)
    items = make_items(args.offers, rng)
    rows = []
    for n in args.sizes:
        dd = LocalDeduplicator(clock=lambda: NOW)
        before = rss_mb()
        t0 = time.perf_counter()
        preload(dd, n, rng)
        load_s = time.perf_counter() - t0
        per_item = (rss_mb() - before) * 2**20 / n
        rows.append(
            (f"local, {n:,} tracked", offer_rate(dd, items), f"{per_item:,.0f} B", f"load {load_s:.1f}s")
        )
        del dd
    new_items = [d for d in make_items(args.beam_items, random.Random(11)) if d.outlet == "Wire"]
    rows.append(
        (
            "Beam FnApiRunner, Beam's objsize sizing",
            beam_rate(new_items, patched=False),
            "-",
            f"{len(new_items)} new keys",
        )
    )
    rows.append(
        (
            "Beam FnApiRunner, statecache.apply()",
            beam_rate(new_items, patched=True),
            "-",
            f"{len(new_items)} new keys",
        )
    )
    print(f"{'what':44} {'items/s':>10} {'mem/tracked item':>17}  note")
    for what, rate, mem, note in rows:
        print(f"{what:44} {rate:10,.0f} {mem:>17}  {note}")


if __name__ == "__main__":
    main()
