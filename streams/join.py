"""Join the primary and candidate sides of each request, by request ID, in event time.

Faust has no stream-stream join, so this is ours: a small pure class that the
Faust agent (and the one-process pipeline) merely feeds. Its semantics:

- The first side of a request waits in `pending` (a mapping the caller owns: a
  dict, or a changelog-backed Faust table, so a restarted worker recovers it).
- The other side completes a `Pair`. The waiting entry is *not* rewritten on
  completion: it stays until it expires, and an in-memory mark absorbs late
  duplicates meanwhile. That saves a changelog write per pair; the price is that
  a worker restarted between the pair and the expiry may also emit an orphan
  verdict for that request, which the idempotent store ignores because the pair's
  row, emitted earlier on the same key, is already there.
- A duplicate of the waiting side is absorbed (the first copy wins).
- Time is event time: each partition's watermark is the latest `started_at` (or
  tick) seen on it, never the process clock. A side older than watermark minus
  the grace period expires; if it was never paired it becomes an `Orphan`.
- `secondary` sides (a second instance of the old backend, for noise baselines)
  are counted and otherwise ignored for now.

Watermarks are per partition because both sides of a request share a partition
(the topic is keyed by request ID) while partitions are consumed at different
speeds, notably when a restarted worker catches up.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from comparator import Verdict
from streams.exchange import Exchange


@dataclass(frozen=True, slots=True)
class Pending:
    """A side waiting for its counterpart, and the partition whose clock expires it."""

    partition: int
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class Pair:
    primary: Exchange
    candidate: Exchange


@dataclass(frozen=True, slots=True)
class Orphan:
    """A side whose counterpart never arrived within the grace period."""

    present: Exchange

    @property
    def verdict(self) -> Verdict:
        if self.present.side == "primary":
            return Verdict.MISSING_CANDIDATE
        return Verdict.MISSING_PRIMARY


@dataclass(slots=True)
class JoinCounters:
    """What the join did with the records it was offered."""

    waiting: int = 0
    paired: int = 0
    duplicates: int = 0
    ignored: int = 0
    orphans: int = 0


@dataclass(slots=True)
class _Clock:
    """One partition's watermark and its expiry queue, oldest first."""

    watermark: datetime | None = None
    queue: list[tuple[datetime, str]] = field(default_factory=list)


class JoinState:
    """Pairs sides by request ID; see the module docstring for the semantics.

    `pending` is read once at construction to rebuild the expiry queues (the
    state a restarted worker recovered); afterwards this class is its only
    writer. Rebuild a new `JoinState` after partitions move between workers.
    """

    def __init__(self, pending: MutableMapping[str, Pending], grace: timedelta) -> None:
        if grace < timedelta(0):
            raise ValueError(f"grace period must not be negative, got {grace}")
        self.pending = pending
        self.grace = grace
        self.counters = JoinCounters()
        self._paired: set[str] = set()
        self._clocks: dict[int, _Clock] = {}
        for request_id, entry in pending.items():
            clock = self._clock(entry.partition)
            clock.queue.append((entry.exchange.started_at, request_id))
        for clock in self._clocks.values():
            heapq.heapify(clock.queue)

    def offer(self, exchange: Exchange, partition: int = 0) -> Pair | None:
        """Take one side; return the completed pair when this side completes one.

        Expired sides are not returned here: call `advance` with the same event
        time afterwards (the caller decides when to pay for expiry).
        """
        if exchange.side == "secondary":
            self.counters.ignored += 1
            return None
        request_id = exchange.request_id
        waiting = self.pending.get(request_id)
        if waiting is None:
            self.pending[request_id] = Pending(partition, exchange)
            heapq.heappush(self._clock(partition).queue, (exchange.started_at, request_id))
            self.counters.waiting += 1
            return None
        if request_id in self._paired or waiting.exchange.side == exchange.side:
            self.counters.duplicates += 1
            return None
        self._paired.add(request_id)
        self.counters.paired += 1
        if exchange.side == "primary":
            return Pair(primary=exchange, candidate=waiting.exchange)
        return Pair(primary=waiting.exchange, candidate=exchange)

    def advance(self, partition: int, event_time: datetime) -> list[Orphan]:
        """Move a partition's watermark to `event_time` (never backwards) and expire.

        Returns the sides that expired unpaired, oldest first.
        """
        clock = self._clock(partition)
        if clock.watermark is not None and event_time <= clock.watermark:
            return []
        clock.watermark = event_time
        return list(self._expire(clock, event_time - self.grace))

    def drain(self) -> list[Orphan]:
        """End of input: every unpaired side becomes an orphan, and the state empties."""
        orphans: list[Orphan] = []
        for clock in self._clocks.values():
            orphans.extend(self._expire(clock, None))
        return orphans

    def _expire(self, clock: _Clock, horizon: datetime | None) -> Iterator[Orphan]:
        queue = clock.queue
        while queue and (horizon is None or queue[0][0] < horizon):
            _, request_id = heapq.heappop(queue)
            entry = self.pending.pop(request_id, None)
            if request_id in self._paired:
                self._paired.discard(request_id)
                continue
            if entry is None:
                continue
            self.counters.orphans += 1
            yield Orphan(entry.exchange)

    def _clock(self, partition: int) -> _Clock:
        clock = self._clocks.get(partition)
        if clock is None:
            clock = self._clocks[partition] = _Clock()
        return clock
