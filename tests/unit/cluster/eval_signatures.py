"""The evaluation's articles as anonymised cluster signatures, committed, so that its P/R tests run on a fresh clone.

The labelled pairs' texts are news articles and are not committed (tests/fixtures/cluster/README.md).  What the
cluster stage compares is each article's ``Signature``; ``SIGNATURES`` (gzip, JSON lines) holds one per article of
``semeval_pairs.jsonl`` and ``crosslang_pairs.jsonl``, with its words made unreadable, and then every labelled pair
(its two articles, split, label, languages):

* the 16-bit content-key codes (``terms``, ``sequence`` and the ``k:`` blocking keys) go through one random
  permutation of 0..65535, and the numbers, dateline city and agency through a keyed hash (64 bits): equal codes stay
  equal and distinct ones distinct, so every rule of ``link`` and ``index`` decides as on the real signatures (the
  terms are re-sorted with their tiers), but no word can be read back without the key;
* the key is the SHA-256 of the source texts, which are not in the repository: whoever builds the pairs rebuilds this
  file byte for byte, and ``test_eval_signatures.py`` checks that it is current when they are built;
* kept as they are: languages, estimated publication times, outlets (hosts of the organisers' public links), ISO
  countries, rarity tiers, article keys.

What these do not test is text -> signature (the enricher, tokens, names): the text-based tests do, where the texts are
built.  Rebuilt by ``make cluster-eval-data`` after the pairs.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import random
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.transforms.cluster.evaluate import (
    Pair,
    Score,
    article_signatures,
    linked,
    sides,
    stream_clusters,
    tally,
)
from pipeline.transforms.cluster.signals import Signature

SIGNATURES = Path(__file__).resolve().parents[2] / "fixtures/cluster/signatures.jsonl.gz"


@dataclass(frozen=True)
class Labelled:
    pair: str
    split: str  # "tune" | "heldout" (each source's own split)
    label: str
    lang1: str
    lang2: str
    a: str  # article keys (evaluate.sides)
    b: str

    @property
    def group(self) -> str:
        return "same-language" if self.lang1 == self.lang2 else "cross-language"

    @property
    def source(self) -> str:
        return self.pair.split(":", 1)[0]


def _key(pairs: Iterable[Pair]) -> bytes:
    h = hashlib.sha256()
    for p in pairs:
        for text in (p.headline1, p.text1, p.headline2, p.text2):
            h.update(text.encode("utf-8") + b"\0")
    return h.digest()


class _Opaque:
    def __init__(self, key: bytes) -> None:
        self.key = key
        self.perm = list(range(1 << 16))
        random.Random(key).shuffle(self.perm)

    def word(self, value: str | None) -> str | None:
        if value is None:
            return None
        return hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def block(self, block: str) -> str:
        kind, _, value = block.partition(":")
        if kind == "k":
            return f"k:{self.perm[int(value)]}"
        return f"{kind}:{self.word(value) if kind == 'c' else value}"

    def signature(self, sig: Signature) -> dict:
        terms = sorted(zip((self.perm[c] for c in sig.terms), sig.tiers, strict=True))
        return {
            "item": sig.item,
            "story_id": sig.story_id,
            "language": sig.language,
            "published_ms": sig.published_ms,
            "terms": [c for c, _ in terms],
            "tiers": [t for _, t in terms],
            "numbers": sorted(self.word(n) for n in sig.numbers),
            "countries": sorted(sig.countries),
            "city": self.word(sig.city),
            "agency": self.word(sig.agency),
            "outlet": sig.outlet,
            "blocks": [self.block(b) for b in sig.blocks],
            "sequence": [self.perm[c] for c in sig.sequence],
        }


def encode(sources: dict[str, list[Pair]]) -> bytes:
    """The file's bytes for ``sources`` (name -> its pairs, e.g. ``{"semeval": [...], "wmt09": [...]}``)."""
    everything = [p for pairs in sources.values() for p in pairs]
    opaque = _Opaque(_key(everything))
    lines = []
    for pairs in sources.values():
        sigs = article_signatures(pairs)
        lines += [json.dumps({"article": opaque.signature(sigs[k])}, sort_keys=True) for k in sorted(sigs)]
    for p in everything:
        a, b = sides(p)
        row = {
            "pair": p.pair,
            "split": p.split,
            "label": p.label,
            "lang1": p.lang1,
            "lang2": p.lang2,
            "a": a,
            "b": b,
        }
        lines.append(json.dumps({"labelled": row}, sort_keys=True))
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)


def signature(a: dict) -> Signature:
    """A signature from its row in the file (``_Opaque.signature``'s output)."""
    return Signature(
        item=a["item"],
        story_id=a["story_id"],
        language=a["language"],
        published_ms=a["published_ms"],
        terms=array("H", a["terms"]),
        tiers=bytes(a["tiers"]),
        numbers=frozenset(a["numbers"]),
        countries=frozenset(a["countries"]),
        city=a["city"],
        agency=a["agency"],
        outlet=a["outlet"],
        blocks=tuple(a["blocks"]),
        sequence=array("H", a["sequence"]),
    )


def load(path: Path = SIGNATURES) -> tuple[dict[str, Signature], list[Labelled]]:
    sigs: dict[str, Signature] = {}
    labelled: list[Labelled] = []
    for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines():
        row = json.loads(line)
        if "labelled" in row:
            labelled.append(Labelled(**row["labelled"]))
        else:
            sigs[row["article"]["item"]] = signature(row["article"])
    return sigs, labelled


def evaluate(sigs: dict[str, Signature], labelled: Iterable[Labelled]) -> dict[str, Score]:
    """Each pair in a fresh index (``evaluate.linked``), as ``evaluate.evaluate`` decides it from the texts."""
    return tally((x.group, x.label == "same", linked(sigs[x.a], sigs[x.b])) for x in labelled)


def evaluate_stream(sigs: dict[str, Signature], labelled: Iterable[Labelled]) -> dict[str, Score]:
    """The labelled pairs' articles as one stream (``evaluate.stream_clusters``), as ``evaluate.evaluate_stream``."""
    labelled = list(labelled)
    keys = {k for x in labelled for k in (x.a, x.b)}
    cluster = stream_clusters(sigs[k] for k in keys)
    return tally((x.group, x.label == "same", cluster[x.a] == cluster[x.b]) for x in labelled)
