"""Feeds -> raw topic.  Data flows fetch.py -> parse.py -> changes.py -> publish.py, driven by runner.py;
state.py remembers, schedule.py decides when, feeds.py is the feed list, polite.py and guard.py keep us civil and safe.

``poll_once`` is the programmatic entry for the demo and tests.  ``Poller`` (runner.py, and with it the HTTP
client) is imported on first use: every command's arguments are registered through poller/cli.py, and a process
that never polls (``news-pipeline run``) would otherwise import httpx for nothing (~0.15 s).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pipeline.poller.feeds import FeedSpec
from pipeline.poller.report import PollReport
from pipeline.poller.settings import PollerSettings
from pipeline.settings import KafkaSettings, TopicSettings

if TYPE_CHECKING:
    from pipeline.poller.runner import Poller

__all__ = ["FeedSpec", "PollReport", "Poller", "PollerSettings", "poll_once"]


def __getattr__(name: str) -> Any:
    if name == "Poller":
        from pipeline.poller.runner import Poller

        return Poller
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def poll_once(
    feeds: Iterable[FeedSpec | str] | None,
    settings: PollerSettings,
    kafka: KafkaSettings,
    topics: TopicSettings | None = None,
    *,
    force: bool = False,
    clock: Callable[[], float] = time.time,
    rng: random.Random | None = None,
) -> PollReport:
    """Add ``feeds`` to the state (if given), poll those that are due (all of them with ``force``), and return.

    With ``feeds=None`` every due feed in the state file is polled.  New feeds are due at once.
    """
    from pipeline.poller.runner import Poller

    with Poller(settings, kafka, topics or TopicSettings(), clock=clock, rng=rng) as poller:
        urls = poller.sync(feeds) if feeds is not None else None
        return poller.run_once(urls, force=force)
