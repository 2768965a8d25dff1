from __future__ import annotations

import pytest

from pipeline.poller.polite import HostCoolingDown, HostGate, RobotsCache, host_of, interleave_by_host
from pipeline.poller.state import FeedState


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_token_bucket_paces_requests_per_host():
    clock = FakeClock()
    gate = HostGate(concurrency=2, rate=2.0, burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(6):
        with gate.slot("a:80"):
            pass
    assert clock.t == pytest.approx(2.0)  # 2 from the burst, then 4 more at 2/s
    with gate.slot("b:80"):  # another host has its own bucket
        pass
    assert clock.t == pytest.approx(2.0)


def test_retry_after_cools_the_host_down():
    clock = FakeClock()
    gate = HostGate(2, 10.0, 5, clock=clock, sleep=clock.sleep)
    gate.cool_down("a:80", 120)
    with pytest.raises(HostCoolingDown) as exc, gate.slot("a:80"):
        pass
    assert exc.value.until == 120
    clock.t = 121
    with gate.slot("a:80"):
        pass


def test_host_of():
    assert host_of("https://Example.com/feed") == "example.com:443"
    assert host_of("http://127.0.0.1:8080/x") == "127.0.0.1:8080"


@pytest.mark.parametrize(
    ("status", "text", "allowed"),
    [
        (200, "User-agent: *\nDisallow: /private/\n", [True, False]),
        (404, "", [True, True]),
        (500, "", [False, False]),
        (None, "", [False, False]),
    ],
)
def test_robots(status, text, allowed):
    calls = []

    def fetch_text(url):
        calls.append(url)
        return status, text

    robots = RobotsCache(fetch_text, "news-pipeline", 3600, clock=lambda: 0.0)
    assert [robots.allowed("http://h/feed.xml"), robots.allowed("http://h/private/feed.xml")] == allowed
    assert calls == ["http://h/robots.txt"]  # cached per origin


def test_due_feeds_are_interleaved_by_host():
    feeds = [
        FeedState(i, url)
        for i, url in enumerate(
            ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://b/2"]
        )
    ]
    assert [f.url for f in interleave_by_host(feeds)] == [
        "http://a/1",
        "http://b/1",
        "http://c/1",
        "http://a/2",
        "http://b/2",
        "http://a/3",
    ]
