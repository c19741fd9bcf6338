"""Acknowledge each partition's events strictly in offset order.

The worker may finish events out of order (a waiting side is released only
when its counterpart arrives, many offsets later), but Kafka's committed offset
is a single position per partition. Faust is meant to commit only the
contiguous run of acknowledged offsets, yet faust-streaming 0.15 skips that check
on a partition's first commit and lets one unacknowledged offset through at the
committed position. So the worker never hands Faust a gap: an event is
acknowledged only once it and every earlier event of its partition are released.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class Event(Protocol):
    """What the ledger needs of a Faust event."""

    @property
    def message(self) -> Any: ...

    def ack(self) -> bool: ...


@dataclass(slots=True)
class _Entry:
    event: Event
    released: bool = False


class AckLedger:
    """Tracks events in arrival order per partition; acks the released prefix.

    Events are known by identity, not offset: after `reset` (a rebalance, when
    Faust seeks back and delivers the same offsets again) a late release of an
    old event can never acknowledge its re-delivered twin.
    """

    def __init__(self) -> None:
        self._queues: dict[int, deque[_Entry]] = {}
        self._entries: dict[int, _Entry] = {}

    def track(self, event: Event) -> None:
        """Call for every event, in the order the partition delivers them."""
        entry = _Entry(event)
        self._entries[id(event)] = entry
        self._queues.setdefault(event.message.partition, deque()).append(entry)

    def release(self, events: Iterable[Event]) -> int:
        """Mark events as owing nothing more; ack every partition's released prefix.

        Returns how many events were acknowledged.
        """
        touched = set()
        for event in events:
            entry = self._entries.get(id(event))
            if entry is not None and entry.event is event:
                entry.released = True
                touched.add(event.message.partition)
        acked = 0
        for partition in touched:
            queue = self._queues[partition]
            while queue and queue[0].released:
                entry = queue.popleft()
                del self._entries[id(entry.event)]
                entry.event.ack()
                acked += 1
        return acked

    def reset(self) -> None:
        """Forget every tracked event (their partitions will be read again)."""
        self._queues.clear()
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
