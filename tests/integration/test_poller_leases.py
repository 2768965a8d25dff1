"""Two live pollers on one state file, rounds longer than a lease: renewal keeps each feed with one poller."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import time
import uuid
from pathlib import Path

import pytest

from pipeline.devserver import Behaviour, DevServer
from pipeline.poller import PollerSettings
from pipeline.poller.runner import Poller
from pipeline.settings import TopicSettings

pytestmark = pytest.mark.integration


def test_a_round_longer_than_the_lease_keeps_its_feeds(kafka, tmp_path: Path):
    feeds = 12
    settings = PollerSettings(
        state_path=tmp_path / "poller.sqlite3",
        allow_private_hosts=("127.0.0.1",),
        per_host_concurrency=8,
        per_host_rate=10_000,
        workers=2,
        lease_s=1.0,
    )
    topics = TopicSettings(raw=f"raw-{uuid.uuid4().hex[:8]}", dead_letter=f"dlq-{uuid.uuid4().hex[:8]}")
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    with DevServer() as srv:
        for f in range(feeds):
            srv.put(f"f{f}.xml", body)
            srv.script(
                f"f{f}.xml", Behaviour(delay_s=0.5)
            )  # 12 feeds x 0.5 s / 2 workers: a 3 s round, 3 leases
        with Poller(settings, kafka, topics) as a, Poller(settings, kafka, topics) as b:
            a.sync([srv.url_for(f"f{f}.xml") for f in range(feeds)])

            def keep_polling(p: Poller) -> int:
                polled, end = 0, time.monotonic() + 6
                while time.monotonic() < end:
                    polled += p.run_once().feeds_polled
                    time.sleep(0.1)
                return polled

            with cf.ThreadPoolExecutor(2) as pool:
                counts = list(pool.map(keep_polling, (a, b)))
        hits = collections.Counter(h.path for h in srv.hits)
    assert sum(counts) == feeds
    assert sorted(hits) == sorted(f"/f{f}.xml" for f in range(feeds)) and set(hits.values()) == {1}
