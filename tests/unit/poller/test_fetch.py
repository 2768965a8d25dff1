from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import brotli
import pytest

from pipeline.poller.fetch import TooLarge, _Decoder

BODY = b"<rss>" + b"news " * 20_000 + b"</rss>"


def feed_all(dec: _Decoder, data: bytes, step: int = 4096) -> bytes:
    return b"".join(dec.feed(data[i : i + step]) for i in range(0, len(data), step))


@pytest.mark.parametrize(
    ("enc", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        pytest.param("br", lambda b: brotli.compress(b)),
        ("identity", lambda b: b),
    ],
)
def test_decodes(enc, compress):
    assert feed_all(_Decoder([enc], 10**7), compress(BODY)) == BODY


def test_gzip_bomb_stops_at_the_cap(fixtures: Path):
    dec = _Decoder(["gzip"], 5 * 1024 * 1024)
    with pytest.raises(TooLarge):
        feed_all(dec, (fixtures / "gzip_bomb.xml.gz").read_bytes(), step=65536)
    assert dec.size <= 5 * 1024 * 1024


def test_brotli_bomb_stops_at_the_cap():
    bomb = brotli.compress(b"\0" * (64 * 1024 * 1024))
    with pytest.raises(TooLarge):
        feed_all(_Decoder(["br"], 1024 * 1024), bomb)


def test_unknown_encoding_refused():
    with pytest.raises(ValueError):
        _Decoder(["compress"], 100)
