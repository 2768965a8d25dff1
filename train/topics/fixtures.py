"""Write the held-out samples the unit tests score: pinned test splits in, small CSV fixtures out.

``ag_news_test_sample.csv``: 50 items per class of the AG News *test* split (the sample ``train.py`` reports on),
with the IPTC codes that count as right.  ``sib200_test_sample.csv``: ``PER_CLASS`` sentences per topic and language
(fr, de, es, it, pt) of the SIB-200 *test* split.  Neither split is trained or tuned on.
Run: ``python -m train.topics.fixtures --mirror-root /work/.mirror``.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

from train.topics import data as D
from train.topics.train import SEED, ag_gold, ag_sample

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "enrich" / "topics"
PER_CLASS = 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"))
    root = ap.parse_args().mirror_root
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with (FIXTURES / "ag_news_test_sample.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["ag_class", "iptc_codes", "headline", "summary"])
        for item in ag_sample(D.ag_test(root)):
            headline, summary = item.text.split("\n\n", 1)
            out.writerow([item.label, " ".join(sorted(ag_gold(item))), headline, summary])
    langs = {k: v for k, v in D.SIB_LANGS.items() if k != "en"}
    by = defaultdict(list)
    for item in D.sib(root, "test", langs):
        by[(item.lang, item.label)].append(item)
    rng = random.Random(SEED)
    with (FIXTURES / "sib200_test_sample.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["lang", "sib_topic", "iptc_code", "text"])
        for lang, label in sorted(by):
            for item in rng.sample(by[(lang, label)], PER_CLASS):
                out.writerow([lang, label, D.SIB_MAP[label], item.text.strip()])


if __name__ == "__main__":
    main()
