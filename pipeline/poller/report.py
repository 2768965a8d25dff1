"""What one poll round did: counts for the CLI line, the loop's log and tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PollReport:
    feeds_polled: int = 0
    ok: int = 0  # 2xx with a document
    not_modified: int = 0  # 304, or 200 with the same bytes as last time
    errors: int = 0
    entries_sent: int = 0  # new entries acked on the raw topic
    updates: int = 0  # changed entries acked (is_update=True)
    dead_letters: int = 0
    deferred: int = 0  # put off: host cooling down (Retry-After) or robots.txt
    delivery_failures: int = 0  # polls whose records Kafka did not ack (they will be polled again)
    guid_drift: int = 0
    resent: int = 0  # records re-sent because the broker lost them
    broker_down: bool = False
    broker_error: str | None = None  # why the broker could not be used, when broker_down
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.feeds_polled} feeds: {self.ok} ok, {self.not_modified} not modified, {self.errors} errors; "
            f"{self.entries_sent} new + {self.updates} updated entries sent, {self.dead_letters} dead letters"
            + (f", {self.deferred} deferred" if self.deferred else "")
            + (f", {self.delivery_failures} not delivered" if self.delivery_failures else "")
            + (f", {self.resent} re-sent after broker data loss" if self.resent else "")
            + (", broker down" if self.broker_down else "")
        )
