"""One Kafka consumer for all the partitions a reader instance is handed: polled records in, per-partition queues out.

The Beam source has one restriction per partition, and the local FnApiRunner runs them one after another on one
thread.  With one consumer per partition read in turn, a record waits for every other partition's chunk (latency grew
with the partition count: p50 3.0 s on 4 partitions vs 0.6 s on 1).  ``SharedFetcher`` instead keeps one consumer
assigned to every partition asked for, so a poll made on behalf of any partition brings in what arrived on all of
them; records of other partitions wait in their own queue until their reader's turn, which then comes without another
round trip.  Per partition it keeps the next offset its reader expects: a reader that asks from another offset (a
retried bundle, a split) drops the queue and seeks, so no record is skipped or reordered.  Queues are bounded (the
partition is paused while full) and partitions no reader asked for in ``forget_after_s`` are dropped (a runner that
moves partitions between workers).

Which reader blocks: within one round over the partitions, the first poll may wait ``poll_timeout``; later ones in the
same round only collect what already arrived (timeout 0), so an idle round costs one poll timeout, not one per
partition.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from pipeline.bus.read import at_high_watermark


class SharedFetcher:
    def __init__(
        self,
        consumer: Any,
        clock: Callable[[], float],
        queue_cap: int = 2000,
        forget_after_s: float = 60.0,
    ):
        self.consumer = consumer
        self.clock = clock
        self.queue_cap = queue_cap
        self.forget_after_s = forget_after_s
        self._queues: dict[Any, deque] = {}
        self._expected: dict[Any, int] = {}
        self._asked_at: dict[Any, float] = {}
        self._paused: set[Any] = set()
        self._round: set[Any] = set()  # partitions that polled since the last blocking poll

    def position(self, tp: Any, start: int) -> None:
        """A reader of ``tp`` starts at ``start``: assign the partition if new; seek if its position is elsewhere."""
        now = self.clock()
        self._asked_at[tp] = now
        self._forget_stale(now)
        if tp not in self._queues:
            self._queues[tp] = deque()
            self.consumer.assign(list(self._queues))
            self.consumer.seek(tp, start)
            self._expected[tp] = start
        elif self._expected[tp] != start:
            self._queues[tp].clear()
            self._resume(tp)
            self.consumer.seek(tp, start)
            self._expected[tp] = start

    def take(self, tp: Any) -> list[Any]:
        """Everything queued for ``tp`` (the reader hands back what it did not emit with ``give_back``)."""
        queue = self._queues[tp]
        out = list(queue)
        queue.clear()
        self._resume(tp)
        return out

    def give_back(self, tp: Any, records: list[Any]) -> None:
        self._queues[tp].extendleft(reversed(records))

    def consumed(self, tp: Any, next_offset: int) -> None:
        self._expected[tp] = next_offset

    def fetched_to_end(self, tp: Any, next_offset: int) -> bool:
        """Nothing of ``tp`` is queued and ``next_offset`` is at or past the high watermark of the last fetch response
        for it (``bus.read.at_high_watermark``: the true end, unlike tansu's ListOffsets answer)."""
        return not self._queues[tp] and at_high_watermark(self.consumer, tp, next_offset)

    def others_waiting(self, tp: Any) -> bool:
        return any(q for other, q in self._queues.items() if other != tp)

    def poll(self, tp: Any, timeout_ms: int) -> None:
        """Poll once for all partitions, queueing what comes.  Blocks only for the first poll of a round."""
        if tp in self._round or not self._round:
            self._round = {tp}
        else:
            self._round.add(tp)
            timeout_ms = 0
        for part, records in self.consumer.poll(timeout_ms=timeout_ms).items():
            queue = self._queues.get(part)
            if queue is None:  # forgotten meanwhile
                continue
            queue.extend(records)
            if len(queue) >= self.queue_cap and part not in self._paused:
                self.consumer.pause(part)
                self._paused.add(part)

    def _resume(self, tp: Any) -> None:
        if tp in self._paused:
            self.consumer.resume(tp)
            self._paused.discard(tp)

    def _forget_stale(self, now: float) -> None:
        stale = [tp for tp, at in self._asked_at.items() if now - at > self.forget_after_s]
        if not stale:
            return
        for tp in stale:
            for table in (self._queues, self._expected, self._asked_at):
                table.pop(tp, None)
            self._paused.discard(tp)
            self._round.discard(tp)
        self.consumer.assign(list(self._queues))
