"""Where a feed's hub is: the HTTP ``Link`` header and the feed's own ``<link rel="hub">``/``rel="self"``.  Pure.

In: the ``(rel, url)`` pairs of a fetch's Link headers (fetch.py) and the hub/self links of the parsed document
(parse.py).  Out: ``Links``: the hubs and the topic (self) URL.  WebSub 4: a subscriber looks at the Link headers
first and at the document only when the headers name no hub.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Links:
    hubs: tuple[str, ...] = ()
    self_url: str | None = None

    @property
    def hub(self) -> str | None:
        """The hub we subscribe with (the first one named; one subscription per feed is enough)."""
        return self.hubs[0] if self.hubs else None


def _web(url: str | None) -> str | None:
    url = (url or "").strip()
    return url if urllib.parse.urlsplit(url).scheme in ("http", "https") else None


def _unique(urls: Iterable[str | None]) -> tuple[str, ...]:
    out: list[str] = []
    for url in urls:
        url = _web(url)
        if url and url not in out:
            out.append(url)
    return tuple(out)


def discover(
    header_links: Iterable[tuple[str, str]], doc_hubs: Iterable[str] = (), doc_self: str | None = None
) -> Links:
    """Hubs and self URL from the headers if they name a hub, else from the document; http(s) URLs only."""
    pairs = list(header_links)
    header_hubs = _unique(url for rel, url in pairs if rel == "hub")
    header_self = next((url for rel, url in pairs if rel == "self" and _web(url)), None)
    if header_hubs:
        return Links(header_hubs, header_self or _web(doc_self))
    return Links(_unique(doc_hubs), _web(doc_self) or header_self)
