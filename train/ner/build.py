"""Rebuild one shipped NER model from its named sources: ``python -m train.ner.build <lang>``.

Steps: read the sources (train/ner/sources.py) from local clones at their pinned commits; write spaCy DocBins for
train and dev (dev = the source marked ``dev``, else a fixed 10 % slice of train); ``spacy train`` with
train/ner/config.cfg, seed 0, one thread; copy the best model (by dev entity F1) to pipeline/data/ner/<lang>/; score
the dev set and every held-out source and write train/ner/scores/<lang>.json (numbers for the model card).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = 0
DEV_FRACTION = 0.1
# Per-language overrides of config.cfg's [training] (the pt model was built with the first, longer schedule)
# (pt: its best dev score came at step 2800 of this schedule; the run was stopped after the step-3000 evaluation)
TRAINING = {lang: {"max_steps": 3000, "patience": 1200} for lang in ("pt", "es", "it")}


def docbin(lang: str, sentences, path: Path) -> None:
    import spacy
    from spacy.tokens import Doc, DocBin
    from spacy.training import biluo_tags_to_spans, iob_to_biluo

    nlp = spacy.blank(lang)
    db = DocBin()
    for words, spaces, tags in sentences:
        doc = Doc(nlp.vocab, words=words, spaces=spaces)
        doc.ents = biluo_tags_to_spans(doc, iob_to_biluo(tags))
        db.add(doc)
    db.to_disk(path)


def split(lang: str, exclude: tuple[str, ...] = (), tried: bool = False):
    """(train, dev, heldout) sentences.  Without a ``dev`` source, dev is a fixed 10 % slice of the first (in-domain)
    train source, so variants that add or drop other sources are compared on the same dev set."""
    from train.ner.data import read
    from train.ner.sources import SOURCES, TRIED

    pool = SOURCES[lang] + (TRIED.get(lang, []) if tried else [])
    sources = [s for s in pool if not any(x in s.name for x in exclude)]
    trains = [read(src) for src in sources if src.role == "train"]
    dev = [s for src in sources if src.role == "dev" for s in read(src)]
    if not dev:
        first = list(trains[0])
        random.Random(SEED).shuffle(first)
        cut = int(len(first) * DEV_FRACTION)
        dev, trains[0] = first[:cut], first[cut:]
    train = [s for sents in trains for s in sents]
    heldout = {src.name: read(src) for src in sources if src.role == "heldout"}
    return train, dev, heldout


def main(
    lang: str, exclude: tuple[str, ...] = (), ship: bool = True, reuse: bool = False, tried: bool = False
) -> None:
    """Build the model; ``exclude`` drops sources whose name contains a string (variant experiments, not shipped);
    ``reuse`` skips training and packages/scores the existing build output."""
    variant = "".join(f"-no-{x}" for x in exclude).replace(" ", "_") + ("-tried" if tried else "")
    work = ROOT / "train" / "ner" / "build" / (lang + variant)
    work.mkdir(parents=True, exist_ok=True)
    train, dev, heldout = split(lang, exclude, tried)
    docbin(lang, train, work / "train.spacy")
    docbin(lang, dev, work / "dev.spacy")
    print(f"{lang}: {len(train)} train, {len(dev)} dev sentences", flush=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", ""]
        if reuse
        else [
            sys.executable,
            "-m",
            "spacy",
            "train",
            str(HERE / "config.cfg"),
            "--output",
            str(work / "model"),
            "--paths.train",
            str(work / "train.spacy"),
            "--paths.dev",
            str(work / "dev.spacy"),
            "--nlp.lang",
            lang,
            "--system.seed",
            str(SEED),
            *[a for k, v in TRAINING.get(lang, {}).items() for a in (f"--training.{k}", str(v))],
        ],
        check=True,
        env=env,
    )
    train_seconds = time.monotonic() - started
    target = ROOT / "pipeline" / "data" / "ner" / lang if ship else work / "model" / "model-best"
    if ship and target.exists():
        shutil.rmtree(target)
    if ship:
        shutil.copytree(work / "model" / "model-best", target)
        describe(target / "meta.json", lang, exclude)
    scores = evaluate(target, dev, heldout)
    scores["train_sentences"], scores["dev_sentences"] = len(train), len(dev)
    out = HERE / "scores" / f"{lang}.json" if ship else work / "scores.json"
    previous = json.loads(out.read_text()) if reuse and out.exists() else {}
    scores["train_seconds"] = previous.get("train_seconds") if reuse else round(train_seconds)
    scores["size_bytes"] = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(scores, indent=1) + "\n")
    print(json.dumps(scores, indent=1))


def describe(meta_path: Path, lang: str, exclude: tuple[str, ...]) -> None:
    """Name the shipped model and record its training data and their licences in its meta.json."""
    from train.ner.sources import SOURCES

    used = [s for s in SOURCES[lang] if s.role in ("train", "dev") and not any(x in s.name for x in exclude)]
    meta = json.loads(meta_path.read_text())
    meta |= {
        "name": f"news_ner_{lang}",
        "version": "1.0.0",
        "description": "NER only (PER, LOC, ORG), CNN tok2vec, no vectors; built by train/ner/build.py, "
        "see train/ner/MODEL_CARD.md",
        "license": "; ".join(sorted({s.licence for s in used})),
        "sources": [
            {
                "name": s.name,
                "url": f"https://github.com/{s.repo}",
                "commit": s.commit,
                "path": s.path,
                "license": s.licence,
                "role": s.role,
            }
            for s in used
        ],
    }
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def evaluate(model: Path, dev, heldout) -> dict:
    import spacy

    from train.ner.evaluate import gold_text_spans, score, spacy_predictor

    nlp = spacy.load(model)
    predict = spacy_predictor(nlp)
    result = {"dev": score(map(gold_text_spans, dev), predict)}
    for name, sentences in heldout.items():
        result[name] = score(map(gold_text_spans, sentences), predict)
    return {k: {lab: [round(x, 3) for x in v] for lab, v in r.items()} for k, r in result.items()}


if __name__ == "__main__":
    args = sys.argv[1:]
    excluded = tuple(a.split("=", 1)[1] for a in args if a.startswith("--exclude="))
    main(args[0], excluded, ship="--no-ship" not in args, reuse="--reuse" in args, tried="--tried" in args)
