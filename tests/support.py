"""Small test helpers shared across test levels (factories and a controllable clock)."""

from __future__ import annotations

import hashlib

from pipeline.model import Dispatch


def dispatch(
    uri: str | None, body: str, headline: str = "Poutine en Biélorussie", guid: str | None = None
) -> Dispatch:
    return Dispatch(
        id="provisional",
        uri=uri,
        guid=guid,
        headline=headline,
        body=body,
        feed_url="http://127.0.0.1/feed.xml",
        content_hash=hashlib.sha256(f"{headline}\n{body}".encode()).hexdigest(),
    )


class Clock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t
