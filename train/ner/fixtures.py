"""Write the committed test gold samples: the news half (newdoc ids n*) of UNER German-PUD and Portuguese-PUD.

``python -m train.ner.fixtures`` -> tests/fixtures/enrich/uner_{de,pt}_pud_news.iob2, in the format of the English
fixture (index, token, IOB2 tag; ``# text`` lines kept).  Held-out data: never used for training or model selection.
"""

from __future__ import annotations

from pathlib import Path

from train.ner.data import read_bytes
from train.ner.sources import SOURCES

ROOT = Path(__file__).resolve().parents[2]
HEADER = """#! UNER {name} (Universal NER v1), news documents only (newdoc ids n*), columns: index, token, IOB2 tag
#! source: {repo} {path} @ {commit}; text from UD_{ud}-PUD
#! licence: {licence} (repository LICENSE.txt); NER annotations by the Universal NER project; cite Mayhew et al.,
#! Universal NER: A Gold-Standard Multilingual Named Entity Recognition Benchmark, NAACL 2024
#! changed: only the news documents are kept and the two annotator columns are dropped; tokens and tags unchanged
"""


def news_half(text: str) -> list[str]:
    out, keep = [], False
    for line in text.splitlines():
        if line.startswith("# newdoc id = "):
            keep = line.split(" = ", 1)[1].startswith("n")
        if not keep:
            continue
        if line and not line.startswith("#"):
            cols = line.split("\t")
            line = "\t".join(cols[:3])
        out.append(line)
    return out


def main() -> None:
    for lang, ud in (("de", "German"), ("pt", "Portuguese")):
        src = next(s for s in SOURCES[lang] if s.name == f"UNER {lang}-PUD test")
        body = news_half(read_bytes(src).decode("utf-8"))
        head = HEADER.format(
            name=f"{ud}-PUD", repo=src.repo, path=src.path, commit=src.commit, ud=ud, licence=src.licence
        )
        path = ROOT / "tests" / "fixtures" / "enrich" / f"uner_{lang}_pud_news.iob2"
        path.write_text(head + "\n".join(body).rstrip("\n") + "\n", encoding="utf-8")
        print(path, len(body))


if __name__ == "__main__":
    main()
