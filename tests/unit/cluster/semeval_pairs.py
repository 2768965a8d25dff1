"""Build the SemEval pairs (``eval_data.SEMEVAL``, not committed) from SemEval-2022 Task 8 *training* pairs, cased, with digits.

Source (see tests/fixtures/cluster/README.md): GeekDream-x/SemEval2022-Task8-TonyX (HFL, the task's winning team),
commit 4281dc9eda053d6e1fc55185fca3d559d1cd294c, ``data/training_set.csv`` (-> split ``tune``) and
``data/testing_set.csv`` (-> split ``heldout``): that team's example split of the official *training* data, texts as
scraped (title + head and tail of the body, original casing, digits and punctuation).  Rows whose ``pair_id`` carries a
language suffix (``1483804872es_1483840043``) are their machine-translated augmentations and are left out: only
genuine article pairs are kept.  The official evaluation split is not used in any form (its texts are not in it).

Labels from the ``Overall`` score (1 = very similar .. 4 = very dissimilar, mean of annotators): ``same`` when
<= 1.5, ``unrelated`` when >= 3.5, pairs in between dropped (as before).  Both sides must be in en/fr/de/es/it/pl/pt
as the task says *and* as the pipeline's identifier detects.  A held-out pair is dropped when it shares a pair or an
article with the tune split, or when its texts match a row of the earlier tune split (rdev12 ``validation.csv``,
lowercased, on which the first thresholds were chosen; optional third argument): held-out pairs were never looked at
while tuning.  Texts are cut at ``MAX_CHARS``.  Each side's outlet (the host of its link, ``www.`` dropped) comes from
the organisers' training file (``semeval-2022_task8_train-data_batch.csv``: pair_id, link1, link2, ...), so that the
same-outlet rule is evaluated too; each side's publication time is estimated from the same file
(tests/unit/cluster/semeval_dates.py: the date in its link, else from its story id), so that the time window is.

    PYTHONPATH=$PWD python -m tests.unit.cluster.semeval_pairs training_set.csv testing_set.csv \
        semeval-2022_task8_train-data_batch.csv [validation.csv]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

from pipeline.transforms.enrich.language import LanguageIdentifier
from tests.unit.cluster import eval_data
from tests.unit.cluster.semeval_dates import Dates

LANGS = {"en", "fr", "de", "es", "it", "pl", "pt"}
MAX_CHARS = 1500
GENUINE = re.compile(r"^\d+_\d+$")
_WORD = re.compile(r"[^\W\d_]{4,}")


def label(overall: float) -> str | None:
    return "same" if overall <= 1.5 else "unrelated" if overall >= 3.5 else None


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


def _contained(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) >= 0.7 * min(len(a), len(b))


def _host(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host.removeprefix("www.")


def _links(path: Path) -> dict[str, tuple[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as f:
        return {r["pair_id"]: (r["link1"], r["link2"]) for r in csv.DictReader(f)}


def _dates(links: dict[str, tuple[str, str]]) -> Dates:
    articles = {}
    for pid, pair in links.items():
        ids = pid.split("_")
        if GENUINE.match(pid):
            articles.update((int(i), link) for i, link in zip(ids, pair, strict=True))
    return Dates(articles.items())


def _rows(
    path: Path, split: str, lid: LanguageIdentifier, links: dict[str, tuple[str, str]], dates: Dates
) -> list[dict]:
    csv.field_size_limit(1 << 30)
    out, seen = [], set()
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            pid, l1, l2 = row["pair_id"], row["lang1"], row["lang2"]
            lab = label(float(row["Overall"]))
            t1, t2 = " ".join(row["text1"].split()), " ".join(row["text2"].split())
            if (
                not GENUINE.match(pid)
                or pid in seen
                or pid not in links
                or lab is None
                or l1 not in LANGS
                or l2 not in LANGS
            ):
                continue
            if not t1 or not t2 or lid.detect(t1).code != l1 or lid.detect(t2).code != l2:
                continue
            seen.add(pid)
            a, b = (int(i) for i in pid.split("_"))
            out.append(
                {"pair": f"semeval:{pid}", "split": split, "label": lab, "overall": float(row["Overall"]),
                 "lang1": l1, "lang2": l2, "outlet1": _host(links[pid][0]), "outlet2": _host(links[pid][1]),
                 "published1_ms": dates.published_ms(a), "published2_ms": dates.published_ms(b),
                 "text1": t1[:MAX_CHARS], "text2": t2[:MAX_CHARS]}
            )  # fmt: skip
    return out


def _earlier_tune(path: Path | None) -> list[tuple[frozenset[str], frozenset[str]]]:
    if path is None:
        return []
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8", newline="") as f:
        return [(_words(r["sentence1"]), _words(r["sentence2"])) for r in csv.DictReader(f)]


def build(
    tune_csv: Path, heldout_csv: Path, links_csv: Path, earlier_tune_csv: Path | None = None
) -> list[dict]:
    lid, links = LanguageIdentifier.build(), _links(links_csv)
    dates = _dates(links)
    tune = _rows(tune_csv, "tune", lid, links, dates)
    tune_pairs = {r["pair"] for r in tune}
    tune_articles = {a for r in tune for a in r["pair"].split(":")[1].split("_")}
    earlier = _earlier_tune(earlier_tune_csv)
    heldout = []
    for r in _rows(heldout_csv, "heldout", lid, links, dates):
        if r["pair"] in tune_pairs or tune_articles & set(r["pair"].split(":")[1].split("_")):
            continue
        w1, w2 = _words(r["text1"]), _words(r["text2"])
        if any(
            _contained(w1, a) and _contained(w2, b) or _contained(w1, b) and _contained(w2, a)
            for a, b in earlier
        ):
            continue
        heldout.append(r)
    return tune + heldout


if __name__ == "__main__":
    earlier = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    rows = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), earlier)
    eval_data.write(rows, eval_data.SEMEVAL)
