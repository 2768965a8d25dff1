"""A real local HTTP server for feed files: the demo's feed source and the poller tests' open web.

In: a directory of feed files (plus optional in-memory bodies and scripted behaviours).  Out: HTTP/1.1 on
127.0.0.1:<free port> with ETag/Last-Modified/304, the ``Header:`` lines of feedparser's corpus files honoured,
and scripted answers for tests: status codes, 429/503 + Retry-After, redirects, slow and oversized responses,
compressed bodies.  ``python -m pipeline.devserver DIR`` serves a directory until interrupted.
"""

from __future__ import annotations

import argparse
import email.utils
import gzip
import hashlib
import mimetypes
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

# feedparser's own test server reads the same lines: "Header:  Name: value" in the leading comment.
_HEADER_RE = re.compile(rb"^Header:\s+([^:\r\n]+):(.+)$", re.MULTILINE)
_XML_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".opml": "text/x-opml",
    ".txt": "text/plain",
}


@dataclass
class Behaviour:
    """A scripted answer for one path.  ``times`` limits how often it applies; then the file is served."""

    status: int | None = None  # answer this status instead of the file (body: ``body`` or a short text)
    retry_after: str | None = None  # Retry-After value sent with the status
    redirect_to: str | None = None  # a path on this server or an absolute URL; status defaults to 302
    delay_s: float = 0.0  # sleep before answering (slow server)
    drip_s: float = 0.0  # sleep between 1 KiB body chunks (slow body)
    body: bytes | None = None  # serve this body instead of the file
    oversize: int = 0  # serve this many filler bytes after the body
    encoding: str | None = None  # compress the body: gzip | deflate | br
    raw_body: bytes | None = None  # send these bytes as they are (e.g. a pre-made gzip bomb) ...
    raw_encoding: str | None = None  # ... with this Content-Encoding
    ignore_validators: bool = False  # answer 200 even when If-None-Match/If-Modified-Since match
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    hook: Callable[[], None] | None = None  # run when the request arrives (tests: stop the broker mid-poll)


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    at: float


def file_headers(blob: bytes) -> dict[str, str]:
    """The ``Header:`` lines of a corpus file's leading comment, as feedparser's test server sends them."""
    return {
        k.decode("latin-1").strip(): v.decode("latin-1").strip() for k, v in _HEADER_RE.findall(blob[:4096])
    }


def _http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def _compress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body, mtime=0)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br":
        import brotli

        return brotli.compress(body)
    raise ValueError(encoding)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(
            sys.exc_info()[1], (ConnectionError, TimeoutError)
        ):  # clients hanging up are normal
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class DevServer:
    """Serve ``root`` on 127.0.0.1 in a background thread.  Use as a context manager; ``url_for(relpath)``."""

    def __init__(
        self, root: Path | str | None = None, host: str = "127.0.0.1", port: int = 0, quiet: bool = True
    ):
        self.root = Path(root).resolve() if root else None
        self.host, self.port, self.quiet = host, port, quiet
        self.behaviours: dict[str, list[Behaviour]] = {}
        self.bodies: dict[str, tuple[bytes, dict[str, str], float]] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- test scripting -------------------------------------------------------------------------------------
    def url_for(self, relpath: str) -> str:
        return f"http://{self.host}:{self.port}/{relpath.lstrip('/')}"

    def script(self, relpath: str, *behaviours: Behaviour) -> None:
        """Queue behaviours for a path (first applies first); replaces what was queued before."""
        with self._lock:
            self.behaviours["/" + relpath.lstrip("/")] = list(behaviours)

    def put(self, relpath: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Serve ``body`` at ``relpath`` from memory (Last-Modified = now); later puts change the content."""
        with self._lock:
            self.bodies["/" + relpath.lstrip("/")] = (body, dict(headers or {}), time.time())

    def hits_for(self, relpath: str) -> list[Hit]:
        path = "/" + relpath.lstrip("/")
        with self._lock:
            return [h for h in self.hits if h.path == path]

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> DevServer:
        server = self

        class Handler(_Handler):
            dev = server

        self._httpd = _Server((self.host, self.port), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="devserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- used by the handler ------------------------------------------------------------------------------------
    def _next_behaviour(self, path: str) -> Behaviour | None:
        with self._lock:
            queue = self.behaviours.get(path)
            if not queue:
                return None
            b = queue[0]
            if b.times is not None:
                b.times -= 1
                if b.times <= 0:
                    queue.pop(0)
            return b

    def _resource(self, path: str) -> tuple[bytes, dict[str, str], float] | None:
        with self._lock:
            if path in self.bodies:
                return self.bodies[path]
        if self.root is None:
            return None
        target = (self.root / unquote(path).lstrip("/")).resolve()
        if self.root not in target.parents or not target.is_file():
            return None
        blob = target.read_bytes()
        return blob, file_headers(blob), target.stat().st_mtime

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)


class _Handler(BaseHTTPRequestHandler):
    dev: DevServer
    protocol_version = "HTTP/1.1"  # keep-alive: pollers reuse connections

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add ~40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt: str, *args: object) -> None:
        if not self.dev.quiet:
            super().log_message(fmt, *args)

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        path = urlsplit(self.path).path
        b = self.dev._next_behaviour(path)
        if b and b.hook:
            b.hook()
        if b and b.delay_s:
            time.sleep(b.delay_s)
        status, headers, body = self._answer(path, b)
        self.dev._record(
            Hit(self.command, path, {k.lower(): v for k, v in self.headers.items()}, status, time.time())
        )
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        try:
            if b and b.drip_s:
                for i in range(0, len(body), 1024):
                    self.wfile.write(body[i : i + 1024])
                    self.wfile.flush()
                    time.sleep(b.drip_s)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _answer(self, path: str, b: Behaviour | None) -> tuple[int, dict[str, str], bytes]:
        extra = dict(b.headers) if b else {}
        if b and b.redirect_to:
            target = b.redirect_to if "://" in b.redirect_to else self.dev.url_for(b.redirect_to)
            return b.status or 302, {"Location": target, **extra}, b""
        if b and b.status:
            if b.retry_after is not None:
                extra["Retry-After"] = b.retry_after
            body = b.body if b.body is not None else f"status {b.status}\n".encode()
            return b.status, {"Content-Type": "text/plain", **extra}, body
        if b and b.raw_body is not None:
            hdrs = {"Content-Type": "application/xml", **extra}
            if b.raw_encoding:
                hdrs["Content-Encoding"] = b.raw_encoding
            return 200, hdrs, b.raw_body
        res = self.dev._resource(path)
        if res is None and (b is None or b.body is None):
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        blob, file_hdrs, mtime = res if res else (b"", {}, time.time())
        body = b.body if b and b.body is not None else blob
        if b and b.oversize:
            body = body + b"<!-- " + b"x" * b.oversize + b" -->"
        hdrs = {
            "Content-Type": _XML_TYPES.get(
                Path(path).suffix, mimetypes.guess_type(path)[0] or "application/octet-stream"
            )
        }
        hdrs.update(
            {"ETag": '"' + hashlib.sha1(body).hexdigest()[:20] + '"', "Last-Modified": _http_date(mtime)}
        )
        for k, v in file_hdrs.items():  # corpus Header: lines win (their names keep the file's spelling)
            for known in list(hdrs):
                if known.lower() == k.lower():
                    del hdrs[known]
            hdrs[k] = v
        hdrs.update(extra)
        if not (b and b.ignore_validators) and self._not_modified(hdrs):
            return 304, {k: v for k, v in hdrs.items() if k.lower() in ("etag", "last-modified")}, b""
        if b and b.encoding and b.encoding in self.headers.get("Accept-Encoding", ""):
            body = _compress(body, b.encoding)
            hdrs["Content-Encoding"] = b.encoding
        return 200, hdrs, body

    def _not_modified(self, hdrs: dict[str, str]) -> bool:
        lower = {k.lower(): v for k, v in hdrs.items()}
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            tags = [t.strip() for t in inm.split(",")]
            return bool(lower.get("etag")) and ("*" in tags or lower["etag"] in tags)
        ims, lm = self.headers.get("If-Modified-Since"), lower.get("last-modified")
        if not ims or not lm:
            return False
        try:
            return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False


FeedServer = DevServer  # the name the demo uses


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m pipeline.devserver", description=__doc__)
    ap.add_argument("root", help="directory to serve")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    with DevServer(args.root, port=args.port, quiet=not args.verbose) as srv:
        print(f"serving {srv.root} on {srv.url_for('')}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
