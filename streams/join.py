"""Join the primary and candidate sides of each request, by request ID, in event time.

Faust has no stream-stream join, so this is ours: a small pure class that the
Faust agent (and the one-process pipeline) merely feeds. Its semantics:

- The first side of a request waits in `pending`.
- The other side completes a `Pair`. The waiting entry stays until it expires,
  marked as paired, so late duplicates are absorbed meanwhile.
- A duplicate of the waiting side is absorbed (the first copy wins).
- The state is bounded: past `max_pending` sides, or `max_pending_bytes` of
  response bodies, the oldest waiting sides become orphans early (counted as
  `evicted`), so a flood of primaries whose candidates never come cannot grow
  memory without bound.
- Time is event time: each partition's watermark is the latest `started_at` (or
  tick) seen on it, never the process clock. A side older than watermark minus
  the grace period expires; if it was never paired it becomes an `Orphan`.
- `secondary` sides (a second instance of the old backend, Diffy's noise
  baseline) join the same way. Once an endpoint has sent one, a primary and
  candidate of that endpoint wait for their secondary too, within the same
  grace period: the pair comes out when the secondary arrives, or without it
  when the primary and candidate expire. Endpoints that never sent one are
  paired at once, as before, so no request waits for a secondary that will
  not come. A secondary whose primary and candidate never both arrive is
  dropped (counted as `ignored`).

Watermarks are per partition because both sides of a request share a partition
(the topic is keyed by request ID) while partitions are consumed at different
speeds, notably when a restarted worker catches up.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from comparator import Verdict
from streams.exchange import Exchange, Side

DEFAULT_MAX_PENDING = 1_000_000
DEFAULT_MAX_PENDING_BYTES = 512 * 1024 * 1024


def _size(exchange: Exchange) -> int:
    """What a waiting side costs, roughly: its bodies plus a fixed overhead."""
    return len(exchange.response_body) + len(exchange.request_body) + 512


@dataclass(slots=True)
class Pending:
    """The sides of one request seen so far, and the partition whose clock expires them.

    `paired`: the pair came out (its sides with it); the entry stays until it
    expires, to absorb late duplicates.
    """

    partition: int
    sides: dict[Side, Exchange]
    paired: bool = False


@dataclass(frozen=True, slots=True)
class Pair:
    """A request's primary and candidate; `secondary` when one came (a noise baseline)."""

    primary: Exchange
    candidate: Exchange
    secondary: Exchange | None = None

    @property
    def request_id(self) -> str:
        return self.primary.request_id


@dataclass(frozen=True, slots=True)
class Orphan:
    """A side whose counterpart never arrived within the grace period."""

    present: Exchange

    @property
    def request_id(self) -> str:
        return self.present.request_id

    @property
    def verdict(self) -> Verdict:
        if self.present.side == "primary":
            return Verdict.MISSING_CANDIDATE
        return Verdict.MISSING_PRIMARY


Expired = Pair | Orphan
"""What expiry emits: an orphan, or a pair that waited for a secondary in vain."""


@dataclass(slots=True)
class JoinCounters:
    """What the join did with the records it was offered."""

    waiting: int = 0
    paired: int = 0
    duplicates: int = 0
    ignored: int = 0  # secondaries dropped: their primary and candidate never both came
    orphans: int = 0
    evicted: int = 0  # orphans made early because the state was full
    with_secondary: int = 0  # pairs that came out with their secondary


@dataclass(slots=True)
class _Clock:
    """One partition's watermark and its expiry queue, oldest first."""

    watermark: datetime | None = None
    queue: list[tuple[datetime, str]] = field(default_factory=list)


class JoinState:
    """Pairs sides by request ID; see the module docstring for the semantics.

    The state lives in memory only: a worker that restarts, or whose partitions
    move, starts a new `JoinState` and re-reads the sides still waiting (the
    worker's acknowledgements keep them unread in Kafka's eyes).
    """

    def __init__(
        self,
        grace: timedelta,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
        max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES,
    ) -> None:
        if grace < timedelta(0):
            raise ValueError(f"grace period must not be negative, got {grace}")
        if max_pending < 1 or max_pending_bytes < 1:
            raise ValueError("the join state's limits must be positive")
        self.pending: dict[str, Pending] = {}
        self.grace = grace
        self.max_pending = max_pending
        self.max_pending_bytes = max_pending_bytes
        self.pending_bytes = 0
        self.counters = JoinCounters()
        self.secondary_endpoints: set[str] = set()
        """Endpoints that sent a secondary: their pairs wait for one."""
        self._clocks: dict[int, _Clock] = {}

    def waiting(self, request_id: str) -> bool:
        """Whether a side of this request waits for its counterpart (or its secondary)."""
        entry = self.pending.get(request_id)
        return entry is not None and not entry.paired

    def offer(self, exchange: Exchange, partition: int = 0) -> Pair | None:
        """Take one side; return the completed pair when this side completes one.

        Expired sides are not returned here: call `advance` with the same event
        time afterwards (the caller decides when to pay for expiry).
        """
        if exchange.side == "secondary":
            self.secondary_endpoints.add(exchange.endpoint)
        request_id = exchange.request_id
        waiting = self.pending.get(request_id)
        if waiting is None:
            self.pending[request_id] = Pending(partition, {exchange.side: exchange})
            self.pending_bytes += _size(exchange)
            heapq.heappush(self._clock(partition).queue, (exchange.started_at, request_id))
            self.counters.waiting += 1
            return None
        sides = waiting.sides
        if waiting.paired or exchange.side in sides:
            self.counters.duplicates += 1
            return None
        sides[exchange.side] = exchange
        self.pending_bytes += _size(exchange)
        primary, candidate = sides.get("primary"), sides.get("candidate")
        if primary is None or candidate is None:
            return None
        secondary = sides.get("secondary")
        if secondary is None and primary.endpoint in self.secondary_endpoints:
            return None
        return self._pair(waiting, primary, candidate, secondary)

    def _pair(
        self, entry: Pending, primary: Exchange, candidate: Exchange, secondary: Exchange | None
    ) -> Pair:
        # The entry stays to absorb late duplicates; its sides go with the pair.
        self.pending_bytes -= sum(_size(side) for side in entry.sides.values())
        entry.sides = {}
        entry.paired = True
        self.counters.paired += 1
        if secondary is not None:
            self.counters.with_secondary += 1
        return Pair(primary, candidate, secondary)

    def advance(self, partition: int, event_time: datetime) -> list[Expired]:
        """Move a partition's watermark to `event_time` (never backwards) and expire.

        Returns what expired, oldest first: sides unpaired (orphans) and pairs
        that waited for a secondary in vain; then any the state's limits
        evicted early.
        """
        clock = self._clock(partition)
        orphans: list[Expired] = []
        if clock.watermark is None or event_time > clock.watermark:
            clock.watermark = event_time
            orphans.extend(self._expire(clock, event_time - self.grace))
        if len(self.pending) > self.max_pending or self.pending_bytes > self.max_pending_bytes:
            orphans.extend(self._evict())
        return orphans

    def drain(self) -> list[Expired]:
        """End of input: every unpaired side becomes an orphan (a pair waiting for its
        secondary comes out without it), and the state empties."""
        orphans: list[Expired] = []
        for clock in self._clocks.values():
            orphans.extend(self._expire(clock, None))
        return orphans

    def _expire(self, clock: _Clock, horizon: datetime | None) -> Iterator[Expired]:
        queue = clock.queue
        while queue and (horizon is None or queue[0][0] < horizon):
            orphan = self._remove(heapq.heappop(queue)[1])
            if orphan is not None:
                yield orphan

    def _evict(self) -> Iterator[Expired]:
        """The oldest sides, across partitions, until the state is within its limits."""
        while self.pending and (
            len(self.pending) > self.max_pending or self.pending_bytes > self.max_pending_bytes
        ):
            clock = min((c for c in self._clocks.values() if c.queue), key=lambda c: c.queue[0])
            orphan = self._remove(heapq.heappop(clock.queue)[1])
            if orphan is not None:
                if isinstance(orphan, Orphan):
                    self.counters.evicted += 1
                yield orphan

    def _remove(self, request_id: str) -> Expired | None:
        """Forget a request: its pair still waiting for a secondary comes out
        without it; a primary or candidate alone is an orphan."""
        entry = self.pending.pop(request_id, None)
        if entry is None or entry.paired:
            return None
        sides = entry.sides
        primary, candidate = sides.get("primary"), sides.get("candidate")
        if primary is not None and candidate is not None:
            return self._pair(entry, primary, candidate, None)
        self.pending_bytes -= sum(_size(side) for side in sides.values())
        present = primary or candidate
        if present is None:
            self.counters.ignored += 1
            return None
        self.counters.orphans += 1
        return Orphan(present)

    def _clock(self, partition: int) -> _Clock:
        clock = self._clocks.get(partition)
        if clock is None:
            clock = self._clocks[partition] = _Clock()
        return clock
