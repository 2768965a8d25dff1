from __future__ import annotations

from pipeline.poller.runner import interleave_by_host
from pipeline.poller.state import FeedState


def test_due_feeds_are_interleaved_by_host():
    feeds = [FeedState(i, url) for i, url in enumerate(["http://a/1", "http://a/2", "http://a/3", "http://b/1",
                                                         "http://c/1", "http://b/2"])]
    assert [f.url for f in interleave_by_host(feeds)] == ["http://a/1", "http://b/1", "http://c/1", "http://a/2",
                                                          "http://b/2", "http://a/3"]
