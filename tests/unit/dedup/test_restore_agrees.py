"""After a restart, dedup state restored from the output topic decides a re-fed item as the live path did.

Live: ``a`` then ``b`` through one deduplicator.  Restart: ``a``'s emitted version, encoded as the output topic
carries it (Avro ``news_item``, ``language`` = what the language identifier detected in the text), decoded and
folded in by ``restore`` (``dispatch_of`` + ``Snapshot.add``), seeds a fresh deduplicator; then ``b``.  Both must
give ``b`` the same decision.  The feed's language hint varies: as labelled, missing, and wrong (a French feed
carrying an English wire), since the live path only ever sees the hint and restore only ever sees the detection.
Cases: the labelled pairs (tests/fixtures/dedup/cases.jsonl) whose decision is a near-duplicate match or a
revision, the decisions that depend on shingles.
"""

from __future__ import annotations

from functools import cache

import pytest

from pipeline.avro import codec
from pipeline.model import Dispatch, DuplicateNotice, EnrichedDispatch, Enrichment
from pipeline.transforms.dedup.local import LocalDeduplicator
from pipeline.transforms.dedup.restore import Snapshot, dispatch_of
from pipeline.transforms.enrich.language import LanguageIdentifier
from tests.unit.dedup.labeled import apply, load_cases

NOW_S = 1_700_000_000.0
HINTS = ("labelled", None, "fr")


@cache
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.build()


def decision(out: Dispatch | DuplicateNotice) -> tuple:
    if isinstance(out, DuplicateNotice):
        return ("notice", out.reason, out.story_id, out.duplicate_of)
    return ("emitted", out.story_id, out.version, out.supersedes)


def restored(emitted: Dispatch) -> Snapshot:
    language = identifier().detect(f"{emitted.headline}\n{emitted.body}", emitted.language_hint)
    enrichment = Enrichment(language=language.code, language_confidence=language.confidence)
    record = codec.decode_news_item(codec.encode_news_item(EnrichedDispatch(emitted, enrichment)))
    snap = Snapshot()
    snap.add(dispatch_of(record), int(NOW_S * 1000))
    return snap


def _cases() -> list[dict]:
    return [c for c in load_cases() if c["label"] in ("duplicate", "revision")]


@pytest.mark.parametrize("hint", HINTS, ids=lambda h: f"hint={h}")
def test_restore_then_refeed_decides_as_live(hint: str | None) -> None:
    differ = []
    for case in _cases():
        a, b = apply(case["a"], case["case"] + ":a"), apply(case["b"], case["case"] + ":b")
        if hint != "labelled":
            a, b = a.replace(language_hint=hint), b.replace(language_hint=hint)
        live = LocalDeduplicator(clock=lambda: NOW_S)
        first = live.offer(a)
        assert isinstance(first, Dispatch), case["case"]
        expected = decision(live.offer(b))
        fresh = LocalDeduplicator(clock=lambda: NOW_S)
        fresh.seed(restored(first))
        got = decision(fresh.offer(b))
        if got != expected:
            differ.append((case["case"], expected[:2], got[:2]))
    assert differ == [], (
        f"{len(differ)} of {len(_cases())} cases decided otherwise after restore: {differ[:5]}"
    )
