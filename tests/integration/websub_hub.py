"""A small WebSub hub on 127.0.0.1 for the tests: the hub side of the W3C Recommendation, nothing more.

In: subscription requests (form POSTs) from the subscriber under test.  Out: verification of intent (GET on the
callback with a random challenge, which must come back verbatim), content distribution signed with each
subscription's ``hub.secret`` (``X-Hub-Signature: sha256=...``, Link headers), leases that expire on the hub's
clock, and the failure modes a subscriber must survive: the hub down (503), denial (``hub.mode=denied``),
synchronous or asynchronous verification.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from pipeline.websub.signature import sign


@dataclass
class HubSubscription:
    topic: str
    callback: str
    secret: str | None
    lease_s: float
    expires: float


@dataclass
class Verification:
    mode: str
    callback: str
    status: int
    echoed: bool  # the callback answered 2xx with the challenge verbatim


@dataclass
class LoopbackHub:
    clock: Callable[[], float] = time.time
    max_lease_s: float = 86400.0
    sync_verify: bool = False  # verify inside the subscription request (before answering it), as many hubs do
    down: bool = False  # answer every subscription request 503
    deny: set[str] = field(default_factory=set)  # topics refused with hub.mode=denied
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    subs: dict[tuple[str, str], HubSubscription] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30, trust_env=False)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = hub._request({k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._http.close()

    def __enter__(self) -> LoopbackHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the subscriber's side of the protocol --------------------------------------------------------------
    def _request(self, form: dict[str, str]) -> int:
        with self._lock:
            self.requests.append(form)
        if self.down:
            return 503
        mode, topic, callback = form.get("hub.mode"), form.get("hub.topic"), form.get("hub.callback")
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return 400
        work = (lambda: self._deny(form)) if topic in self.deny else (lambda: self._verify(form))
        if self.sync_verify:
            work()
        else:
            threading.Thread(target=work, daemon=True).start()
        return 202

    def _deny(self, form: dict[str, str]) -> None:
        params = {
            "hub.mode": "denied",
            "hub.topic": form["hub.topic"],
            "hub.reason": "not on this hub's list",
        }
        r = self._http.get(form["hub.callback"], params=params)
        with self._lock:
            self.verifications.append(Verification("denied", form["hub.callback"], r.status_code, False))

    def _verify(self, form: dict[str, str]) -> None:
        mode, topic, callback = form["hub.mode"], form["hub.topic"], form["hub.callback"]
        challenge = secrets.token_urlsafe(16)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        lease = min(float(form.get("hub.lease_seconds") or self.max_lease_s), self.max_lease_s)
        if mode == "subscribe":
            params["hub.lease_seconds"] = str(int(lease))
        asked_at = self.clock()  # the lease starts when verification is asked (the test's clock may move on)
        r = self._http.get(callback, params=params)
        echoed = 200 <= r.status_code < 300 and r.text == challenge
        with self._lock:
            self.verifications.append(Verification(mode, callback, r.status_code, echoed))
            if echoed and mode == "subscribe":
                secret = form.get("hub.secret")
                self.subs[(topic, callback)] = HubSubscription(
                    topic, callback, secret, lease, asked_at + lease
                )
            elif echoed:
                self.subs.pop((topic, callback), None)

    # -- content distribution -------------------------------------------------------------------------------
    def active(self, topic: str) -> list[HubSubscription]:
        """Subscriptions of ``topic`` whose lease has not run out on the hub's clock."""
        with self._lock:
            return [s for s in self.subs.values() if s.topic == topic and s.expires > self.clock()]

    def publish(
        self, topic: str, body: bytes, content_type: str = "application/atom+xml", method: str = "sha256"
    ) -> list[int]:
        """Distribute ``body`` to every live subscriber of ``topic``; their HTTP statuses."""
        statuses = []
        for s in self.active(topic):
            headers = {
                "Content-Type": content_type,
                "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"',
            }
            if s.secret:
                headers["X-Hub-Signature"] = sign(s.secret, body, method)
            statuses.append(self._http.post(s.callback, content=body, headers=headers).status_code)
        return statuses


# -- feed documents for the tests (fixture files under tests/fixtures/websub) -----------------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "websub"
GUARDIAN = Path(__file__).resolve().parents[1] / "fixtures" / "enrich" / "news_ner_gold.txt"


def feed_body(hub: str, self_url: str, numbers: list[int]) -> bytes:
    """The Atom fixture naming ``hub`` and ``self_url``, with the numbered fixture entries."""
    entry = (FIXTURES / "entry.atom").read_text()
    entries = "".join(entry.format(n=n) for n in numbers)
    return (FIXTURES / "feed.atom").read_text().format(hub=hub, self=self_url, entries=entries).encode()


def stories(count: int) -> list[tuple[str, str]]:
    """(title, summary) of the first ``count`` of the 25 distinct Guardian items of the NER gold fixture (markup
    removed): real, different texts, so the pipeline's near-duplicate stage keeps each one."""
    lines = [line for line in GUARDIAN.read_text().splitlines() if not line.startswith("#")]
    out: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        if line.startswith("-DOCSTART-") and i + 2 < len(lines):
            title, summary = (re.sub(r"\[([^|\]]+)\|[A-Z]+\]", r"\1", lines[j]) for j in (i + 1, i + 2))
            out.append((title, summary))
    assert len(out) >= count, f"only {len(out)} items in {GUARDIAN}"
    return out[:count]


def story_feed(hub: str, self_url: str, items: list[tuple[int, str, str]]) -> bytes:
    """The Atom fixture with story entries ``(n, title, body)``."""
    entry = (FIXTURES / "story.atom").read_text()
    entries = "".join(entry.format(n=n, title=escape(t), body=escape(b)) for n, t, b in items)
    return (FIXTURES / "feed.atom").read_text().format(hub=hub, self=self_url, entries=entries).encode()


def wait_for(cond: Callable[[], object], timeout_s: float = 10.0, what: str = "condition") -> object:
    """Poll ``cond`` until it is truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what}: not true within {timeout_s}s")
