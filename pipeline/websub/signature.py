"""``X-Hub-Signature`` (WebSub 8. Authenticated Content Distribution): HMAC over the exact body.  Pure.

In: the header value, the subscription's secret and the body bytes as received.  Out: a verdict (``ok`` or why
not); ``sign`` makes the header, for hubs in tests.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    """The header value a hub sends: ``method=hexdigest``."""
    return f"{method}={hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()}"


def verify(header: str | None, secret: str, body: bytes) -> str:
    """``ok``, or the refusal reason: ``unsigned``, ``unknown_method`` or ``bad_signature``.

    The digests are compared in constant time (``hmac.compare_digest``) so a forger learns nothing from timing.
    """
    if not header or not header.strip():
        return "unsigned"
    method, sep, given = header.strip().partition("=")
    digest = ALGORITHMS.get(method.strip().lower())
    if not sep or digest is None:
        return "unknown_method"
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    given_bytes = (
        given.strip().lower().encode("utf-8", "replace")
    )  # bytes: compare_digest refuses non-ASCII str
    return "ok" if hmac.compare_digest(expected.encode(), given_bytes) else "bad_signature"
