"""Readers for the NER sources: sentences as (words, spaces, IOB2 tags over PER/LOC/ORG only).

Every other label (MISC, OTH, GermEval's *deriv/*part, KIND's other types) becomes ``O``: the shipped models predict
the three types the project scores.  Token spacing comes from the sentence text where the format has it (UNER's
``# text``), otherwise from a punctuation rule, so the training docs look like the raw text the tokenizer will see.
"""

from __future__ import annotations

import gzip
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from train.ner.sources import Source

KEEP = {"PER", "LOC", "ORG"}
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "”", "»"}
NO_SPACE_AFTER = {"(", "[", "{", "“", "«", "$"}
MAX_RUN = 60
Sentence = tuple[list[str], list[bool], list[str]]


def mirror_dir(repo: str) -> Path:
    """The local git directory of ``repo`` (NER_MIRROR/owner+name[/repo])."""
    root = Path(os.environ.get("NER_MIRROR", "/work/.mirror")) / repo.replace("/", "+")
    return root / "repo" if (root / "repo").exists() else root


def read_bytes(src: Source) -> bytes:
    data = subprocess.run(
        ["git", "--git-dir", str(mirror_dir(src.repo)), "show", f"{src.commit}:{src.path}"],
        check=True,
        capture_output=True,
    ).stdout
    return gzip.decompress(data) if src.path.endswith(".gz") else data


def read(src: Source) -> list[Sentence]:
    raw = read_bytes(src)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = {"uner": _uner, "conll": _conll}[src.fmt]
    labels = dict(src.labels) if src.labels else {k: k for k in KEEP}
    out = []
    for words, spaces, tags in reader(text):
        for w, sp, t in (
            _split_at_periods(words, spaces, tags) if src.split_sentences else [(words, spaces, tags)]
        ):
            if w:
                out.append((w, sp, _repair([_tag(x, labels) for x in t])))
    if src.pseudo:
        from train.ner.pseudo import transform

        out = [transform(s, src.pseudo) for s in out]
    return out


def _split_at_periods(words: list[str], spaces: list[bool], tags: list[str]) -> list[Sentence]:
    """For sources without sentence breaks: cut after every ``.`` token, or after ``MAX_RUN`` tokens, outside an
    entity."""
    out, start = [], 0
    for i, (w, t) in enumerate(zip(words, tags, strict=True)):
        nxt = tags[i + 1] if i + 1 < len(tags) else "O"
        if (w.endswith(".") or i + 1 - start >= MAX_RUN) and t == "O" and not nxt.startswith("I-"):
            out.append((words[start : i + 1], spaces[start : i + 1], tags[start : i + 1]))
            start = i + 1
    out.append((words[start:], spaces[start:], tags[start:]))
    return out


def _tag(tag: str, labels: dict[str, str]) -> str:
    """``B-X``/``I-X`` or a bare ``X`` (IO scheme: read as inside, ``_repair`` opens the run) -> IOB2 over KEEP."""
    prefix, _, label = tag.partition("-") if tag[:2] in ("B-", "I-") else ("I", "", tag)
    mapped = labels.get(label)
    return f"{prefix}-{mapped}" if mapped in KEEP else "O"


def _repair(tags: list[str]) -> list[str]:
    """IOB1/broken runs to IOB2: an I- that does not continue the same type starts an entity."""
    out, prev = [], "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


def _rule_spaces(words: list[str]) -> list[bool]:
    spaces = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        spaces.append(nxt is not None and nxt not in NO_SPACE_BEFORE and w not in NO_SPACE_AFTER)
    return spaces


def _uner(text: str) -> Iterator[Sentence]:
    sent_text, words, tags = None, [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("# text = "):
            sent_text = line[len("# text = ") :]
        elif line.startswith("#"):
            continue
        elif not line.strip():
            if words:
                yield words, _text_spaces(words, sent_text), tags
            sent_text, words, tags = None, [], []
        else:
            cols = line.split("\t")
            words.append(cols[1])
            tags.append(cols[2])


def _text_spaces(words: list[str], text: str | None) -> list[bool]:
    if not text:
        return _rule_spaces(words)
    spaces, cursor = [], 0
    for w in words:
        start = text.find(w, cursor)
        if start < 0:
            return _rule_spaces(words)
        cursor = start + len(w)
        spaces.append(text[cursor : cursor + 1] == " ")
    return spaces


def _conll(text: str) -> Iterator[Sentence]:
    """Whitespace-separated columns, token first, tag last; blank lines split sentences; comment/DOCSTART skipped."""
    words, tags = [], []
    for line in [*text.splitlines(), ""]:
        cols = line.split()
        if (
            not cols
            or cols[0] == "-DOCSTART-"
            or (line.startswith("#") and len(cols) > 1 and "\t" not in line)
        ):
            if words:
                yield words, _rule_spaces(words), tags
            words, tags = [], []
            continue
        if len(cols) < 2:
            continue
        words.append(cols[0])
        tags.append(cols[-1])
