"""One conditional HTTP GET of a feed -> ``FetchResult`` (status, headers, decoded body) or a classified error.

In: the feed URL and its stored validators (ETag, Last-Modified).  Out: ``FetchResult`` with the body bytes as
sent (decompressed, size-capped) and the response headers, for parse.py; 304, redirects, Retry-After and every
failure are reported as data, never raised.  Connections go through the SSRF guard (guard.py) on every hop.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from pipeline.poller.guard import AddressPolicy, BlockedAddress, GuardedTransport
from pipeline.poller.settings import PollerSettings

try:  # brotli is optional: without it we simply do not advertise "br"
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate, br" if brotli else "gzip, deflate"


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL that answered (after redirects)
    status: int | None = None  # None: no HTTP answer (DNS, connect, timeout, blocked)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    wire_bytes: int = 0
    permanent_url: str | None = None  # set when every redirect hop was permanent: store it as the feed URL
    retry_after: str | None = None  # raw Retry-After of a 429/503
    error: str | None = None
    error_kind: str | None = (
        None  # dns|connect|timeout|blocked|scheme|redirects|too_large|decode|http_4xx|http_5xx
    )
    elapsed_s: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """``(rel, absolute URL)`` of each ``Link:`` header entry (RFC 8288; WebSub announces its hub here)."""
        return link_header(self.headers.get("link", ""), self.url)


_LINK_RE = re.compile(r"<([^>]*)>([^<]*)")  # a target, then its parameters up to the next target
_REL_RE = re.compile(r'(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^;,\s]+))', re.I)


def link_header(value: str, base: str) -> tuple[tuple[str, str], ...]:
    """Parse a (comma-joined) ``Link`` header into ``(rel, url)`` pairs; a ``rel`` may name several relations."""
    out: list[tuple[str, str]] = []
    for m in _LINK_RE.finditer(value):
        rel = _REL_RE.search(m.group(2))
        if not rel:
            continue
        url = urllib.parse.urljoin(base, m.group(1).strip())
        for name in (rel.group(1) or rel.group(2) or "").lower().split():
            out.append((name, url))
    return tuple(out)


class _Decoder:
    """Incremental Content-Encoding decoder that refuses to produce more than ``limit`` bytes (zip bombs)."""

    def __init__(self, encodings: list[str], limit: int):
        self.limit, self.size = limit, 0
        self.steps = [e for e in reversed(encodings) if e not in ("identity", "")]
        for e in self.steps:
            if e not in ("gzip", "x-gzip", "deflate", "br") or (e == "br" and brotli is None):
                raise ValueError(f"unsupported Content-Encoding {e!r}")
        self.objs: list[object | None] = [None] * len(self.steps)

    def _one(self, i: int, data: bytes, budget: int) -> bytes:
        enc, obj = self.steps[i], self.objs[i]
        if enc == "br":
            obj = obj or brotli.Decompressor()
            self.objs[i] = obj
            return obj.process(data, output_buffer_limit=budget)  # type: ignore[attr-defined]
        if obj is None:
            if enc == "deflate":  # servers send zlib-wrapped or raw deflate under the same name
                wbits = zlib.MAX_WBITS if data[:1] and (data[0] & 0x0F) == 8 else -zlib.MAX_WBITS
            else:
                wbits = 16 + zlib.MAX_WBITS
            obj = zlib.decompressobj(wbits)
            self.objs[i] = obj
        out = obj.decompress(data, budget)  # type: ignore[attr-defined]
        if obj.unconsumed_tail:  # type: ignore[attr-defined]
            raise TooLarge(f"decompressed body larger than {self.limit} bytes")
        return out

    def feed(self, data: bytes) -> bytes:
        budget = self.limit - self.size + 1
        for i in range(len(self.steps)):
            data = self._one(i, data, budget)
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"decompressed body larger than {self.limit} bytes")
        return data


def build_client(settings: PollerSettings) -> httpx.Client:
    """One client per poller process: pooled keep-alive connections, guarded connects, explicit timeouts."""
    limits = httpx.Limits(
        max_connections=max(settings.workers * 2, 10), max_keepalive_connections=settings.workers
    )
    timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
    return httpx.Client(
        transport=GuardedTransport(AddressPolicy(settings.allow_private_hosts), limits),
        timeout=timeout,
        follow_redirects=False,  # we follow by hand: cap, classify permanent moves, check the scheme per hop
        trust_env=False,
        headers={
            "User-Agent": settings.user_agent_header,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
    )


def _error(
    url: str, kind: str, msg: str, started: float, now: Callable[[], float], **kw: object
) -> FetchResult:
    return FetchResult(url=url, error=msg, error_kind=kind, elapsed_s=now() - started, **kw)  # type: ignore[arg-type]


def fetch(
    client: httpx.Client,
    url: str,
    settings: PollerSettings,
    etag: str | None = None,
    last_modified: str | None = None,
    now: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """GET ``url`` conditionally, following at most ``max_redirects`` redirects.  Never raises for network errors."""
    started = now()
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    all_permanent, hops = True, 0
    while True:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return _error(url, "scheme", f"refused scheme in {url!r}: only http and https", started, now)
        try:
            result = _get_once(client, url, headers, settings, started, now)
        except BlockedAddress as exc:
            return _error(url, "blocked", str(exc), started, now)
        except httpx.TimeoutException as exc:
            return _error(url, "timeout", f"{type(exc).__name__}: {exc}", started, now)
        except httpx.ConnectError as exc:
            kind = "dns" if "DNS lookup failed" in str(exc) else "connect"
            return _error(url, kind, f"{type(exc).__name__}: {exc}", started, now)
        except httpx.HTTPError as exc:
            return _error(url, "connect", f"{type(exc).__name__}: {exc}", started, now)
        if result.status in REDIRECTS and result.headers.get("location"):
            hops += 1
            all_permanent = all_permanent and result.status in PERMANENT
            if hops > settings.max_redirects:
                return _error(url, "redirects", f"more than {settings.max_redirects} redirects", started, now)
            url = urllib.parse.urljoin(url, result.headers["location"].strip())
            continue
        permanent = url if hops and all_permanent else None
        return FetchResult(**{**result.__dict__, "permanent_url": permanent, "elapsed_s": now() - started})


def _get_once(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    settings: PollerSettings,
    started: float,
    now: Callable[[], float],
) -> FetchResult:
    with client.stream("GET", url, headers=headers) as resp:
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        status = resp.status_code
        if status in REDIRECTS or status == 304:
            return FetchResult(url=url, status=status, headers=hdrs)
        if not 200 <= status < 300:
            kind = "http_4xx" if 400 <= status < 500 else "http_5xx" if status >= 500 else "http_other"
            return FetchResult(
                url=url,
                status=status,
                headers=hdrs,
                error=f"HTTP {status} {resp.reason_phrase}",
                error_kind=kind,
                retry_after=hdrs.get("retry-after"),
            )
        declared = hdrs.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_body_bytes:
            return FetchResult(
                url=url,
                status=status,
                headers=hdrs,
                error_kind="too_large",
                error=f"Content-Length {declared} over the {settings.max_body_bytes}-byte cap",
            )
        try:
            encodings = [e.strip().lower() for e in hdrs.get("content-encoding", "").split(",")]
            decoder = _Decoder(encodings, settings.max_decoded_bytes)
        except ValueError as exc:
            return FetchResult(url=url, status=status, headers=hdrs, error=str(exc), error_kind="decode")
        chunks: list[bytes] = []
        wire = 0
        try:
            for (
                raw
            ) in resp.iter_raw():  # as the network delivers: the wall-clock cap is checked on every read
                wire += len(raw)
                if wire > settings.max_body_bytes:
                    raise TooLarge(f"body larger than {settings.max_body_bytes} bytes")
                if now() - started > settings.total_timeout_s:
                    return FetchResult(
                        url=url,
                        status=status,
                        headers=hdrs,
                        wire_bytes=wire,
                        error_kind="timeout",
                        error=f"body not complete after {settings.total_timeout_s}s",
                    )
                chunks.append(decoder.feed(raw))
        except httpx.HTTPError:
            raise
        except TooLarge as exc:
            return FetchResult(
                url=url, status=status, headers=hdrs, wire_bytes=wire, error=str(exc), error_kind="too_large"
            )
        except Exception as exc:
            return FetchResult(
                url=url,
                status=status,
                headers=hdrs,
                wire_bytes=wire,
                error_kind="decode",
                error=f"cannot decode {hdrs.get('content-encoding')}: {exc}",
            )
        return FetchResult(url=url, status=status, headers=hdrs, body=b"".join(chunks), wire_bytes=wire)
