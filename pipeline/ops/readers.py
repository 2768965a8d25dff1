"""Bounded reads of what a person points the CLI at: a path or URL -> bytes, refused past a size cap; bytes -> text.

In: a file path or http(s) URL and a byte cap.  Out: the bytes (read in chunks, never more than the cap + one chunk
in memory) or a ``UserError`` saying what was too big or not text.  Kept free of heavy imports so the CLI can show
the cap in ``--help`` without loading Beam.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.ops.errors import UserError

# A dispatch is a few KB and a busy feed well under this; --max-bytes raises it.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
_CHUNK = 64 * 1024


def _too_big(source: str, max_bytes: int) -> UserError:
    return UserError(
        f"{source} is larger than {max_bytes:,} bytes: not a dispatch or feed? (raise the cap with --max-bytes)",
        exit_code=2,
    )


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, read in chunks and refused past ``max_bytes`` (a device or a huge file never fills RAM)."""
    chunks, size = [], 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _too_big(str(path), max_bytes)
            chunks.append(chunk)
    return b"".join(chunks)


def as_text(source: str, body: bytes) -> str:
    """UTF-8 (or, failing that, the detected charset) text; binary data is refused."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:_CHUNK]).best()
        if best is None or best.encoding is None:
            raise UserError(f"{source} is not text (binary data?): nothing to inspect", exit_code=2) from None
        text = body.decode(best.encoding, errors="replace")
    controls = sum(1 for c in text[:_CHUNK] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), _CHUNK) or not any(c.isalpha() for c in text[:_CHUNK]):
        raise UserError(f"{source} is not text (binary data?): nothing to inspect", exit_code=2)
    return text


def http_get(url: str, max_bytes: int = MAX_SOURCE_BYTES) -> tuple[bytes, dict[str, str]]:
    """GET with a streamed body, refused past ``max_bytes``; short timeouts (a person is waiting)."""
    import httpx

    from pipeline import __version__

    headers = {"User-Agent": f"news-pipeline/{__version__}"}
    timeout = httpx.Timeout(10.0, connect=5.0)
    with (
        httpx.Client(follow_redirects=True, timeout=timeout, headers=headers) as c,
        c.stream("GET", url) as resp,
    ):
        resp.raise_for_status()
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise _too_big(url, max_bytes)
        chunks, size = [], 0
        for chunk in resp.iter_bytes(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _too_big(url, max_bytes)
            chunks.append(chunk)
        return b"".join(chunks), dict(resp.headers)
