"""Clustering's word lists (spaCy stop words, wordfreq's small lists) come from a cache file after the first process:
a process that clusters does not import wordfreq (~0.3 s of CPU in the pipeline process and in each stage worker),
and the lists it reads are the ones wordfreq gives."""

from __future__ import annotations

from pathlib import Path

from pipeline.transforms.cluster import tokens
from tests.support import json_child

SIGN = """
import json, sys
from pipeline.transforms.cluster.signals import signature
from pipeline.transforms.cluster.tokens import frequent, stopwords
sig = signature("i1", "s1", "Putin visits Belarus", "KYIV (Reuters) - Vladimir Putin flew to Minsk on Monday.", "en",
                None)
print(json.dumps({
    "wordfreq": "wordfreq" in sys.modules,
    "stop_en": sorted(stopwords("en")),
    "stop_any": len(stopwords(None)),
    "freq_de": sorted(frequent("de").items())[:500],
    "terms": list(sig.terms),
}))
"""


def _run(cache_dir: str) -> dict:
    return json_child(SIGN, env={"NEWS_PIPELINE_CACHE_DIR": cache_dir}, timeout_s=120)


def test_second_process_reads_the_lists_without_importing_wordfreq(tmp_path: Path) -> None:
    first, second = _run(str(tmp_path)), _run(str(tmp_path))
    assert first["wordfreq"] is True  # it built the files
    assert sorted(p.name.split("-")[2] for p in tmp_path.glob("cluster-words-*.marshal")) == sorted(
        tokens.LANGS
    )
    assert second["wordfreq"] is False
    assert {k: v for k, v in second.items() if k != "wordfreq"} == {
        k: v for k, v in first.items() if k != "wordfreq"
    }


def test_cached_lists_are_wordfreqs_and_spacys(tmp_path: Path) -> None:
    """What a cached process reads equals what the libraries give in this one (built without the cache)."""
    from wordfreq import get_frequency_dict

    _run(str(tmp_path))
    cached = _run(str(tmp_path))
    assert cached["freq_de"] == [
        list(x) for x in sorted(get_frequency_dict("de", wordlist="small").items())[:500]
    ]
    built_stop, built_freq = tokens._build_lists("en")
    common = {w for w, f in built_freq.items() if f >= 10 ** (tokens.COMMON_ZIPF - 9)}
    assert cached["stop_en"] == sorted(built_stop | common)
    assert {"the", "said", "and"} <= set(cached["stop_en"])


def test_the_cache_can_be_off() -> None:
    out = _run("off")
    assert out["wordfreq"] is True and "said" in out["stop_en"]
