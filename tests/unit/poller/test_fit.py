"""An entry larger than one Kafka record is cut to fit, longest text first; identity and hash stay."""

from __future__ import annotations

from pipeline.avro.codec import decode_raw_entry, encode_raw_entry
from pipeline.model import RawEntry
from pipeline.poller.fit import encode_fitted


def entry(**texts: str) -> RawEntry:
    return RawEntry(feed_url="http://127.0.0.1/f.xml", entry_key="g:1", content_hash="h" * 64, **texts)


def test_small_entries_are_left_alone() -> None:
    e = entry(title="Port strike", summary="<p>Dock workers stopped.</p>")
    assert encode_fitted(e, 900_000) == (encode_raw_entry(e), False)


def test_a_four_megabyte_summary_is_cut_to_fit_one_record() -> None:
    e = entry(title="Port strike", summary="<p>" + "é dock workers " * 300_000 + "</p>", content="x" * 5_000)
    value, cut = encode_fitted(e, 900_000)
    assert cut and len(value) <= 900_000
    back = decode_raw_entry(value)
    assert back.summary and e.summary.startswith(back.summary) and len(back.summary) > 400_000
    assert (back.title, back.content, back.entry_key, back.content_hash) == (
        e.title,
        e.content,
        "g:1",
        "h" * 64,
    )
