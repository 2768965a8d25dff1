"""The callback server: hubs' HTTP requests in -> verification answers and verified pushes out to ingest.

In: ``GET <callback>/<token>?hub.mode=...`` (verification of intent, denial) and ``POST <callback>/<token>``
(content distribution).  Out: the challenge echoed or 404; for a push, 413 over the size cap, 411 without a length,
410 for a callback we do not know, 202 for content dropped as unsigned or wrongly signed (WebSub 8: acknowledged,
then ignored), else ingest's status.  Refusals are counted by reason.

Standard library ``ThreadingHTTPServer``: the work behind each request (SQLite, kafka-python's blocking producer)
is synchronous, the traffic is one request per pushed update, and the devserver already uses it; aiohttp would
need an executor hop for every call.  Bind it to loopback behind a TLS reverse proxy (docs/websub.md).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from pipeline.poller.metrics import event
from pipeline.websub.ingest import Ingested
from pipeline.websub.lifecycle import Answer, Subscription
from pipeline.websub.metrics import WebSubMetrics
from pipeline.websub.signature import verify

log = logging.getLogger(__name__)


class Callbacks(Protocol):
    """What the server asks of the service behind it."""

    def verification(self, token: str, params: dict[str, str]) -> Answer: ...

    def subscription(self, token: str) -> Subscription | None: ...

    def ingest(self, sub: Subscription, body: bytes, content_type: str, received: float) -> Ingested: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # hubs hanging up are normal
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    callbacks: Callbacks
    metrics: WebSubMetrics
    max_body: int
    monotonic: Callable[[], float]
    timeout = 30  # seconds a slow client may hold a thread
    protocol_version = "HTTP/1.1"
    server_version = "news-pipeline-websub"

    def log_message(self, fmt: str, *args: object) -> None:
        log.debug("%s " + fmt, self.address_string(), *args)

    def _reply(self, status: int, body: bytes = b"", close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _token(self) -> str:
        return urllib.parse.urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        params = {k: v[0] for k, v in query.items()}
        answer = self.callbacks.verification(self._token(), params)
        self.metrics.verifications.labels(params.get("hub.mode", "")[:20], answer.outcome).inc()
        self._reply(answer.status, answer.body)

    def do_POST(self) -> None:
        received = self.monotonic()
        self.metrics.pushes.inc()
        length = self.headers.get("Content-Length", "")
        if not length.strip().isdigit():
            self.metrics.refused.labels("no_length").inc()
            return self._reply(411, b"Content-Length required", close=True)
        if int(length) > self.max_body:
            self.metrics.refused.labels("too_large").inc()
            return self._reply(
                413, b"body over the size limit", close=True
            )  # not read: the connection closes
        body = self.rfile.read(int(length))
        sub = self.callbacks.subscription(self._token())
        if sub is None or sub.state != "active":
            self.metrics.refused.labels("unknown_callback").inc()
            return self._reply(410, b"no such subscription")  # 410: the hub may drop the subscription
        verdict = verify(self.headers.get("X-Hub-Signature"), sub.secret, body)
        if verdict != "ok":
            self.metrics.refused.labels(verdict).inc()
            event("websub_push_refused", feed=sub.feed_url, reason=verdict)
            return self._reply(202)  # WebSub 8: acknowledge, then ignore (no signature oracle for forgers)
        result = self.callbacks.ingest(sub, body, self.headers.get("Content-Type", ""), received)
        if result.reason:
            self.metrics.refused.labels(result.reason).inc()
        self._reply(result.status)

    def do_PUT(self) -> None:
        self._reply(405, close=True)

    do_DELETE = do_PATCH = do_PUT


class CallbackServer:
    """Serve in a background thread; ``port`` is the bound port (0 in the settings picks a free one)."""

    def __init__(
        self,
        callbacks: Callbacks,
        metrics: WebSubMetrics,
        host: str,
        port: int,
        max_body: int,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        handler = type(
            "Handler",
            (_Handler,),
            {
                "callbacks": callbacks,
                "metrics": metrics,
                "max_body": max_body,
                "monotonic": staticmethod(monotonic),
            },
        )
        self._httpd = _Server((host, port), handler)
        self.host, self.port = host, self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> CallbackServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.2,), name="websub-callback", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
