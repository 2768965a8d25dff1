"""urls.url_normalize (the library's function with its host step cached) gives what url-normalize gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from url_normalize import url_normalize as library_url_normalize

from pipeline.transforms.normalize.urls import url_normalize
from tests.conftest import CORPORA


def outcome(f, url: str) -> str:
    try:
        return repr(f(url))
    except Exception as exc:  # the same error, raised again on a cached host too
        return f"{type(exc).__name__}: {exc}"


hosts = st.sampled_from(
    ["Example.COM", "bücher.de", "xn--bcher-kva.de", "EXAMPLE.com.", "[::1]", "a..b", "ÉCOLE.fr", "例え.jp",
     "\udcff.com", "a" * 70 + ".com", "", "localhost", "münchen。de", "sub.domain.co.uk"]
)  # fmt: skip
urls = st.builds(
    lambda scheme, host, port, path: f"{scheme}{host}{port}{path}",
    st.sampled_from(["http://", "https://", "HTTP://", "//", "", "ftp://"]),
    st.one_of(hosts, st.text(max_size=12)),
    st.sampled_from(["", ":80", ":443", ":8080", ":x"]),
    st.text(max_size=20).map(lambda p: "/" + p),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(urls, min_size=1, max_size=4))
def test_same_as_the_library_also_when_cached(batch: list[str]) -> None:
    for url in batch + batch:  # the second time through, hosts come from the cache
        assert outcome(url_normalize, url) == outcome(library_url_normalize, url)


def test_same_as_the_library_on_corpus_links() -> None:
    links = set()
    for path in (CORPORA / "feeds").rglob("*.xml"):
        links.update(re.findall(r"https?://[^\s\"'<>]+", path.read_text(encoding="latin-1")))
    assert len(links) > 1000
    for url in sorted(links):
        assert outcome(url_normalize, url) == outcome(library_url_normalize, url)
