"""Where a replay may resume: before the first request that is not stored yet.

Reading a source in order, each request's first side is read at some position;
its result is stored some time later (after its other side, or its expiry, and
the next batch commit). Resuming at the earliest position of a request that is
read but not yet stored loses nothing, and re-reading what lies after it only
re-offers the writer results it already has, which it ignores. The same rule
the live worker follows for its Kafka offsets.

Positions are whatever the source uses (a record number, a Kafka offset); they
must be handed to `hold` in increasing order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

P = TypeVar("P")


class ResumeTracker(Generic[P]):
    """The requests read but not yet stored, with the position of their first side."""

    def __init__(self) -> None:
        # Insertion order is position order, so the first entry is the minimum.
        self._held: dict[str, P] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, request_id: str, position: P) -> None:
        """`request_id`'s first side was read at `position` (later sides change nothing)."""
        self._held.setdefault(request_id, position)

    def release(self, request_ids: Iterable[str]) -> None:
        """These requests' results are stored (or were judged out of range)."""
        for request_id in request_ids:
            self._held.pop(request_id, None)

    def resume_at(self, next_position: P) -> P:
        """Where to resume: the first held position, else `next_position` (nothing held)."""
        for position in self._held.values():
            return position
        return next_position
