"""``id`` is unique per article version and deterministic, whatever the arrival order or bundle boundaries.

Articles are built from real Reuters bodies with the edits that make dedup work hard: revisions from the same
source (same or new URL), republications by other outlets, re-feeds, and many articles that share paragraphs.
Bundles are applied all-or-nothing (``begin``/``commit``), as the in-process Beam stage does.
"""

from __future__ import annotations

import hashlib
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.model import Dispatch, DuplicateNotice
from pipeline.transforms.dedup.local import LocalDeduplicator
from tests.support import Clock
from tests.unit.dedup.labeled import reuters


def corpus(n_stories: int, seed: int) -> list[Dispatch]:
    rng = random.Random(seed)
    bodies = [b for _, _, b in reuters().values() if len(b) > 600]
    rng.shuffle(bodies)
    shared_par = bodies[-1].split("\n\n")[0]  # a paragraph many articles carry (boilerplate-like)
    items = []
    for s in range(n_stories):
        body = bodies[s]
        paras = body.split("\n\n")
        feed = f"http://127.0.0.1/feed{s % 5}.xml"
        variants = [(f"https://ex.org/{s}", body, feed)]
        if rng.random() < 0.6:  # revision: a paragraph added, same source, same or new URL
            url = f"https://ex.org/{s}" if rng.random() < 0.5 else f"https://ex.org/{s}-update"
            variants.append((url, body + "\n\nUpdated paragraph number " + str(s) + " with new facts.", feed))
        if rng.random() < 0.5:  # another outlet republishes it
            variants.append((f"https://other.org/{s}", body, f"http://127.0.0.1/other{s % 3}.xml"))
        if rng.random() < 0.3:  # a shortened version from the same source
            variants.append((f"https://ex.org/{s}-short", "\n\n".join(paras[:-1]) or body, feed))
        if rng.random() < 0.3:
            variants.append((f"https://ex.org/{s}", body, feed))  # plain re-feed
        if rng.random() < 0.2:
            variants.append((f"https://ex.org/{s}-b", shared_par + "\n\n" + body, feed))
        for url, text, fd in variants:
            headline = f"Story {s}"
            items.append(
                Dispatch(
                    id="provisional",
                    uri=url,
                    guid=None,
                    headline=headline,
                    body=text,
                    feed_url=fd,
                    outlet=fd,
                    content_hash=hashlib.sha256(f"{headline}\n\n{text}".encode()).hexdigest(),
                )
            )
    return items


def decide(items: list[Dispatch], bundle: int) -> list[Dispatch]:
    clock = Clock()
    dedup = LocalDeduplicator(clock=clock)
    emitted = []
    for k in range(0, len(items), bundle):
        dedup.begin()
        for d in items[k : k + bundle]:
            clock.t += 0.001
            out = dedup.offer(d)
            if not isinstance(out, DuplicateNotice):
                emitted.append(out)
        dedup.commit()
    return emitted


def assert_unique(emitted: list[Dispatch]) -> None:
    articles: dict[str, set[tuple[str | None, str]]] = {}
    for d in emitted:
        articles.setdefault(d.id, set()).add((d.uri, d.content_hash))
    shared = {i: a for i, a in articles.items() if len(a) > 1}
    assert not shared, shared


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), bundle=st.sampled_from([1, 3, 17, 100, 10_000]))
def test_ids_unique_per_article_version_in_any_order_and_bundling(seed: int, bundle: int) -> None:
    items = corpus(40, seed)
    random.Random(seed).shuffle(items)
    emitted = decide(items, bundle)
    assert_unique(emitted)
    again = decide(items, bundle)
    assert [d.id for d in again] == [d.id for d in emitted]  # deterministic for the same input


def test_many_distinct_items_never_share_an_id() -> None:
    """5,000 here; the fault suite's 30k soak checks the same on the real pipeline (tests/faults)."""
    rng = random.Random(3)
    sentences = [
        s for _, _, b in reuters().values() for s in b.replace("\n\n", " ").split(". ") if len(s) > 40
    ]
    items = []
    for i in range(5_000):
        body = ". ".join(rng.sample(sentences, 6)) + "."
        items.append(
            Dispatch(
                id="provisional",
                uri=f"https://ex.org/{i}",
                guid=None,
                headline=f"Item {i}",
                body=body,
                feed_url=f"http://127.0.0.1/feed{i % 50}.xml",
                content_hash=hashlib.sha256(f"{i}\n\n{body}".encode()).hexdigest(),
            )
        )
    emitted = decide(items, 500)
    assert len(emitted) > 4_900  # random sentence mixes are distinct articles
    assert_unique(emitted)
