"""Avro throughput: encode/decode records/s for both wire formats, and container-file writing MB/s per codec.

One command: ``.venv/bin/python bench/bench_avro.py [--records N]``.  Records are realistic ``news_item`` dicts
(a dispatch-length body, entities, places, subjects); one core, best of three runs, prints a table.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from pipeline.avro.registry import MemorySchemaRegistry
from pipeline.avro.schemas import schema
from pipeline.avro.wire import ConfluentEncoder, SingleObjectEncoder, WireDecoder
from pipeline.files.writer import RangeFileWriter

BODY = (
    "KYIV (Reuters) - Russian President Vladimir Putin arrived in Minsk on Monday for talks with Belarusian "
    "leader Alexander Lukashenko, Ukraine's military said, amid fears Moscow could press its ally to join the war. "
) * 8


def news_item(i: int) -> dict[str, Any]:
    sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"story-{i}"))
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"id-{i}")),
        "version": 1,
        "story_id": sid,
        "uri": f"https://example.org/world/story-{i}",
        "guid": f"guid-{i}",
        "headline": f"Putin visits Belarus as Kyiv warns of new offensive ({i})",
        "body": BODY,
        "language": "en",
        "language_confidence": 0.98,
        "published": 1_671_436_020_000 + i,
        "versioncreated": 1_671_436_030_000 + i,
        "authors": [{"name": "Tom Balmforth", "role": "reporting"}],
        "dateline": {"city": "KYIV", "city_normalized": "Kyiv", "date": None, "agency": "Reuters"},
        "agency": "Reuters",
        "entities": [
            {"text": n, "type": t, "count": 2, "first_offset": 10, "salience": 0.5}
            for n, t in [("Vladimir Putin", "PERSON"), ("Minsk", "LOCATION"), ("Reuters", "ORGANIZATION")]
        ],
        "places": [{"name": "Minsk", "country": "BY", "latitude": 53.9, "longitude": 27.56, "kind": "city"}],
        "countries": ["BY", "UA", "RU"],
        "keywords": ["Putin", "Belarus", "Lukashenko"],
        "subjects": [{"code": "medtop:11000000", "label": "politics", "score": 0.8}],
        "source": {"feed_url": "https://example.org/feed.xml", "outlet": "Reuters"},
        "ingest": {"raw_topic": "news.raw", "raw_partition": 0, "raw_offset": i, "pipeline_version": "0.1"},
    }


def best_of(fn: Callable[[], Any], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=5000)
    n = ap.parse_args().records
    items = [news_item(i) for i in range(n)]
    registry = MemorySchemaRegistry()
    decoder = WireDecoder(registry)
    rows = []
    for label, enc in [
        ("single-object (C3 01)", SingleObjectEncoder()),
        ("confluent (00 + id)", ConfluentEncoder(registry, "news.items")),
    ]:
        encoded = [enc.encode("news_item", r) for r in items]
        t_enc = best_of(lambda enc=enc: [enc.encode("news_item", r) for r in items])
        t_dec = best_of(lambda encoded=encoded: [decoder.decode(b) for b in encoded])
        size = sum(map(len, encoded)) / n
        rows.append((label, f"{n / t_enc:,.0f} rec/s", f"{n / t_dec:,.0f} rec/s", f"{size:,.0f} B/rec", ""))
    raw_mb = sum(len(b) for b in encoded) / 1e6
    parsed = schema("news_item").parsed
    for codec in ("null", "deflate", "snappy", "zstandard"):
        sizes: list[int] = []

        def write(codec: str = codec, sizes: list[int] = sizes) -> None:
            with tempfile.TemporaryDirectory() as d:
                w = RangeFileWriter(d, "news.items", 0, 0, parsed, codec=codec)
                for offset, r in enumerate(items):  # the file sink streams records into one range file
                    w.append(r, offset, 0)
                w.publish()
                sizes.append(sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)))

        t = best_of(write)
        size = sizes[-1]
        rows.append(
            (
                f"file {codec}",
                f"{raw_mb / t:,.1f} MB/s in",
                f"{n / t:,.0f} rec/s",
                f"{size / 1e6:.2f} MB",
                f"{raw_mb / (size / 1e6):.1f}x",
            )
        )
    buf = io.StringIO()
    header = ("format", "encode / write", "decode / records", "size", "ratio")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        buf.write("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    print(f"bench_avro: {n} news_item records, {raw_mb:.1f} MB of Avro bodies\n{buf.getvalue()}", end="")


if __name__ == "__main__":
    main()
