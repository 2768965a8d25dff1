"""Entity-level scoring shared by the NER F1 tests: IOB2 gold loading, exact-span P/R/F1, model predictions.

(A plain module, not a test module: test modules importing each other load twice under pytest's importlib mode.)
"""

from __future__ import annotations

from collections import Counter

from pipeline.transforms.enrich.entities import RawSpan, mention_types

from .conftest import FIXTURES

SCORED = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}


def load_uner(path=FIXTURES / "uner_en_pud_news.iob2") -> list[tuple[str, set[tuple[int, int, str]]]]:
    """UNER English-PUD news documents as (sentences joined by a space, {(start, end, TYPE)}).

    Each sentence's ``# text`` line is the real text; token offsets are found by searching each token in it from the
    end of the previous one (the tokens are the text's own characters, so the search never skips).  IOB2 runs form
    the entities.
    """
    docs: list[tuple[list[str], set[tuple[int, int, str]]]] = []
    text, offset, cursor, current = "", 0, 0, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#!"):
            continue
        if line.startswith("# newdoc id"):
            docs.append(([], set()))
        elif line.startswith("# text = "):
            sentences, _ = docs[-1]
            offset = sum(len(x) + 1 for x in sentences)
            text, cursor, current = line[len("# text = ") :], 0, None
            sentences.append(text)
        elif line and not line.startswith("#"):
            _, token, tag = line.split("\t")
            start = text.index(token, cursor)
            cursor = start + len(token)
            spans = docs[-1][1]
            if tag.startswith("I-") and current and current[2] == tag[2:]:
                spans.discard(current)
                current = (current[0], offset + cursor, current[2])
                spans.add(current)
            elif tag != "O":
                current = (offset + start, offset + cursor, tag[2:])
                spans.add(current)
            else:
                current = None
    return [(" ".join(sentences), {s for s in spans if s[2] in SCORED}) for sentences, spans in docs]


def score(gold: list[set], predicted: list[set]) -> dict[str, tuple[float, float, float]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, predicted, strict=True):
        for s in p:
            (tp if s in g else fp)[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    result = {}
    for label in [*SCORED, "ALL"]:
        t = sum(tp.values()) if label == "ALL" else tp[label]
        f_p = sum(fp.values()) if label == "ALL" else fp[label]
        f_n = sum(fn.values()) if label == "ALL" else fn[label]
        prec = t / (t + f_p) if t + f_p else 0.0
        rec = t / (t + f_n) if t + f_n else 0.0
        result[label] = (prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return result


def predict_spans(nlp, labels, texts: list[str], post_process: bool, gazetteer=None) -> list[set]:
    """Mention spans per text: the raw model's, or after the stage's post-processing (``mention_types``)."""
    back = {v: k for k, v in SCORED.items()}
    out = []
    for text, doc in zip(texts, nlp.pipe(texts), strict=True):
        spans = [
            RawSpan(ent.text, labels[ent.label_], ent.start_char, ent.end_char)
            for ent in doc.ents
            if ent.label_ in labels
        ]
        if post_process:
            spans = mention_types(spans, text, None, gazetteer)
        out.append({(s.start, s.end, back[s.type]) for s in spans if s.type in back})
    return out
