"""``poll --loop``: rounds until stopped, riding out broker outages.

In: a ``Poller`` and a stop event.  Out: one round after another (``on_tick`` gets each report); while Kafka is away,
capped exponential back-off with one ``event=broker_waiting`` line per try and ``poller_broker_retry_in_seconds``;
``event=broker_back`` when it answers again.  No error from Kafka or from a round ends the loop; only ``stop`` does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from kafka.errors import KafkaError

from pipeline.poller.metrics import event
from pipeline.poller.publish import BrokerUnavailable
from pipeline.poller.report import PollReport

if TYPE_CHECKING:
    from pipeline.poller.runner import Poller

log = logging.getLogger(__name__)


def run_forever(
    poller: Poller, stop: threading.Event, on_tick: Callable[[PollReport], None] | None = None
) -> None:
    """Tick until ``stop`` is set: poll what is due, sleep until the next feed is due (at most ``tick_s``)."""
    while not stop.is_set():
        if poller.monotonic() < poller.broker_retry_at:
            stop.wait(min(poller.settings.tick_s, poller.broker_retry_at - poller.monotonic()))
            continue
        try:
            report = poller.run_once()
        except (
            BrokerUnavailable,
            KafkaError,
        ) as exc:  # e.g. metadata lost mid-round: the next round retries
            report = PollReport()
            poller.note_broker_down(report, f"{type(exc).__name__}: {exc}")
        except Exception:  # e.g. the state file locked for too long: log, wait, go on
            log.exception("poll tick failed; retrying")
            stop.wait(poller.settings.tick_s)
            continue
        if report.broker_down:
            event(
                "broker_waiting",
                logging.WARNING,
                reason=report.broker_error,
                attempt=poller.broker_errors,
                retry_in_s=round(poller.broker_retry_at - poller.monotonic(), 1),
            )
        else:
            if poller.broker_errors:
                event("broker_back", logging.WARNING, after_attempts=poller.broker_errors)
            poller.broker_errors = 0
            poller.metrics.broker_retry_in.set(0)
        if on_tick:
            on_tick(report)
        if report.feeds_polled or report.deferred:
            continue  # more may be due already (max_feeds_per_tick)
        nxt = poller.state.next_due_ms()
        wait = poller.settings.tick_s if nxt is None else (nxt - poller.clock() * 1000) / 1000.0
        stop.wait(max(0.05, min(poller.settings.tick_s, wait)))
