"""Build the cluster evaluation pairs from local copies of their public sources; the texts are not committed.

The pairs are news articles (their publishers' text) read from public repositories; this repository keeps only the
builders and the sources' names, and writes the pairs to ``DATA`` (gitignored):

* ``semeval_pairs.jsonl`` (tests/unit/cluster/semeval_pairs.py): SemEval-2022 Task 8 *training* pairs as scraped by
  HFL, with the organisers' links for outlets and an earlier split kept out of ``heldout``;
* ``crosslang_pairs.jsonl`` (tests/unit/cluster/crosslang_pairs.py): WMT09 newstest2009 articles in en/de/fr/es/it;

and from both, the anonymised signatures that *are* committed (tests/unit/cluster/eval_signatures.py).

Each source is read with ``git show <commit>:<path>`` from a local clone of its repository,
``$EVAL_MIRROR/<owner>+<name>[/repo]`` (default /work/.mirror, as the session's fetch tool lays them out; any clone
that has the commit works).  The builders are deterministic: the same sources give byte-identical files.

    make cluster-eval-data        # = python -m tests.unit.cluster.eval_data
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "fixtures/cluster/data"
SEMEVAL = DATA / "semeval_pairs.jsonl"
CROSSLANG = DATA / "crosslang_pairs.jsonl"
HFL = ("GeekDream-x/SemEval2022-Task8-TonyX", "4281dc9eda053d6e1fc55185fca3d559d1cd294c")
LINKS = (
    "Achilles107/assessing-multilingual-news-article-similarity",
    "6610be8e1ed79dba4952267054c925177ead33d3",
)
EARLIER = ("rdev12/Multilingual-News-Article-Similarity", "3ebc6faa6e689a965ea089aef2aedc5eb4611007")
WMT = ("Jun1770watanabe/Seq2seq", "e8f4c5b820ba30820cbb4b98b4113741693949c9")
MISSING = (
    "cluster evaluation pairs not built: run `make cluster-eval-data` with local copies of the sources "
    "(tests/fixtures/cluster/README.md)"
)


def git_dir(repo: str) -> Path:
    root = Path(os.environ.get("EVAL_MIRROR", "/work/.mirror")) / repo.replace("/", "+")
    return root / "repo" if (root / "repo").exists() else root


def show(source: tuple[str, str], path: str, dest: Path) -> Path:
    repo, commit = source
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir(repo)), "show", f"{commit}:{path}"], capture_output=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(
            f"cannot read {repo}@{commit[:12]}:{path}: {out.stderr.decode(errors='replace').strip()}"
        )
    dest.write_bytes(out.stdout)
    return dest


def write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} pairs -> {path}")


def main() -> None:
    from tests.unit.cluster import crosslang_pairs, semeval_pairs

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        rows = semeval_pairs.build(
            show(HFL, "data/training_set.csv", t / "training_set.csv"),
            show(HFL, "data/testing_set.csv", t / "testing_set.csv"),
            show(LINKS, "semeval-2022_task8_train-data_batch.csv", t / "links.csv"),
            show(EARLIER, "dataset/semeval/multilingual/validation.csv", t / "validation.csv"),
        )
        write(rows, SEMEVAL)
        for lang in crosslang_pairs.LANGS:
            show(WMT, f"dev/newstest2009-src.{lang}.sgm", t / f"newstest2009-src.{lang}.sgm")
        write(crosslang_pairs.build(t), CROSSLANG)
    write_signatures()


def write_signatures() -> None:
    """The anonymised signatures of both pair files (eval_signatures.py; committed, unlike the pairs)."""
    from pipeline.transforms.cluster.evaluate import load_pairs
    from tests.unit.cluster import eval_signatures

    data = eval_signatures.encode({"semeval": load_pairs(SEMEVAL), "wmt09": load_pairs(CROSSLANG)})
    eval_signatures.SIGNATURES.write_bytes(data)
    print(f"{len(data):,} bytes -> {eval_signatures.SIGNATURES}")


if __name__ == "__main__":
    sys.exit(main())
