"""X-Hub-Signature: every method the Recommendation names, and each way a signature can be wrong."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pipeline.websub.signature import sign, verify

BODY = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'


@pytest.mark.parametrize("method", ["sha1", "sha256", "sha384", "sha512"])
def test_a_hub_signature_verifies(method: str) -> None:
    # computed here independently of sign(), so a bug in sign() cannot hide one in verify()
    digest = hmac.new(b"s3cret", BODY, getattr(hashlib, method)).hexdigest()
    assert verify(f"{method}={digest}", "s3cret", BODY) == "ok"
    assert sign("s3cret", BODY, method) == f"{method}={digest}"


@pytest.mark.parametrize(
    ("header", "secret", "body", "reason"),
    [
        (None, "s3cret", BODY, "unsigned"),
        ("", "s3cret", BODY, "unsigned"),
        ("   ", "s3cret", BODY, "unsigned"),
        (sign("other", BODY), "s3cret", BODY, "bad_signature"),  # signed with another secret
        (sign("s3cret", BODY), "s3cret", BODY + b" ", "bad_signature"),  # one byte added to the body
        (sign("s3cret", BODY, "sha1").replace("sha1", "sha256"), "s3cret", BODY, "bad_signature"),
        ("md5=" + hashlib.md5(BODY).hexdigest(), "s3cret", BODY, "unknown_method"),
        ("sha256", "s3cret", BODY, "unknown_method"),  # no "="
        ("sha256=é" + "0" * 63, "s3cret", BODY, "bad_signature"),  # non-ASCII must not raise
        ("sha256=", "s3cret", BODY, "bad_signature"),
    ],
)
def test_refusals(header: str | None, secret: str, body: bytes, reason: str) -> None:
    assert verify(header, secret, body) == reason


def test_method_and_hex_case_are_tolerated() -> None:
    method, digest = sign("k", BODY, "sha512").split("=")
    assert verify(f"SHA512={digest.upper()}", "k", BODY) == "ok"
