"""Fixture files -> enriched records, through the pipeline's own normalize and enrich (NER off)."""

from __future__ import annotations

from pathlib import Path

from pipeline.model import Dispatch, EnrichedDispatch, Enrichment, RawEntry, Timestamp
from pipeline.transforms.dedup.keys import story_id_for
from pipeline.transforms.enrich.stage import shared_enricher
from pipeline.transforms.normalize import normalize_entry

VARIANTS = Path(__file__).resolve().parents[2] / "fixtures/cluster/variants"
NOW_MS = 1_671_408_000_000  # 2022-12-19, the week of the seed


def enriched(name: str, now_ms: int = NOW_MS) -> EnrichedDispatch:
    """``variants/<name>.txt`` as the pipeline would emit it: its own story (id = story_id = uuid5 of the name)."""
    text = (VARIANTS / f"{name}.txt").read_text(encoding="utf-8")
    raw = RawEntry(
        feed_url=f"file:{name}", entry_key=name, content_hash=name, content=text, content_type="text/plain",
        fetched_at_ms=now_ms,
    )  # fmt: skip
    sid = story_id_for(f"fixture:{name}")
    d = normalize_entry(raw, now_ms=now_ms).replace(story_id=sid, id=sid)
    return EnrichedDispatch(d, shared_enricher(ner=False).enrich_one(d))  # the process-wide one, shared


def record(
    item: str, body: str, lang: str = "en", published_ms: int | None = None, story: str | None = None
) -> EnrichedDispatch:
    """A record with only text and language (what clustering needs without enrichment)."""
    d = Dispatch(
        id=item, uri=None, guid=None, headline="", body=body, feed_url=f"t:{item}", story_id=story or item,
        published=Timestamp(published_ms) if published_ms is not None else None,
    )  # fmt: skip
    return EnrichedDispatch(d, Enrichment(language=lang))


BODY_A = (
    "Flooding along the Danube forced thousands from homes in Passau and Regensburg as levels kept rising."
)
BODY_B = "Lithium battery factory planned near Grünheide by Tesla awaits approval from Brandenburg environment office."
BODY_AB = BODY_A + " " + BODY_B

# One outlet's consent notice, as scraped pages carry it (template.py), and two different stories of that outlet
NOTICE = (
    "To improve our website, show relevant news and targeted advertising, we collect anonymous technical information "
    "about your device, including through the tools of our partners. A detailed description of the data processing "
    "can be found in the privacy policy. You can withdraw your consent at any time in the cookie settings."
)
# the two share one rare name, so that blocking makes them candidates of each other
TRADE = "Trade negotiations between Washington and London were postponed until after the summer recess, Peskov noted."
DEATHS = "More than 3,300 deaths from the coronavirus were recorded in a single day in America, according to Peskov."
