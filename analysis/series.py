"""Per-minute counts of one endpoint: the judge's input.

The rollups hold, per run, endpoint and minute, the total and a count per
verdict; `MinuteCounts.from_verdicts` takes exactly that. A series is a
sequence of minutes in order; a minute without traffic may be absent (it counts
as zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

MINUTE = timedelta(minutes=1)


def floor_minute(moment: datetime) -> datetime:
    """The start of the minute `moment` falls in."""
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """One endpoint's judged requests in the minute starting at `start` (event time).

    `mismatches` are `mismatch` verdicts; `errors_candidate` are
    `error_candidate` (the candidate alone gave no answer); `orphans` are
    `missing_candidate` (the candidate's side never arrived).
    """

    start: datetime
    total: int
    mismatches: int = 0
    errors_candidate: int = 0
    orphans: int = 0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError(f"a minute's start must be timezone-aware, got {self.start}")
        if self.start.second or self.start.microsecond:
            raise ValueError(f"a minute starts on the minute, got {self.start.isoformat()}")
        parts = (self.mismatches, self.errors_candidate, self.orphans)
        if self.total < 0 or min(parts) < 0:
            raise ValueError(f"negative count in the minute at {self.start.isoformat()}")
        if sum(parts) > self.total:
            raise ValueError(
                f"the minute at {self.start.isoformat()} has more mismatches, candidate "
                f"errors and orphans ({sum(parts)}) than requests ({self.total})"
            )

    @classmethod
    def from_verdicts(
        cls,
        start: datetime,
        counts: Mapping[str, int],
        excused: Mapping[str, int] | None = None,
    ) -> MinuteCounts:
        """From a count per verdict (`match`, `mismatch`, ...); the total is their sum.

        `excused` counts, per verdict, the requests whose problem is marked
        expected: they stay in the total but count as agreeing, so every rule
        judges "mismatches, excluding expected" (as readiness does).
        """
        excused = excused or {}

        def judged(verdict: str) -> int:
            return max(0, counts.get(verdict, 0) - excused.get(verdict, 0))

        return cls(
            start=start,
            total=sum(counts.values()),
            mismatches=judged("mismatch"),
            errors_candidate=judged("error_candidate"),
            orphans=judged("missing_candidate"),
        )


@dataclass(frozen=True, slots=True)
class Dense:
    """A series laid out minute by minute from `first`, gaps as zeros, up to a horizon."""

    first: datetime
    total: tuple[int, ...]
    mismatches: tuple[int, ...]
    errors_candidate: tuple[int, ...]
    orphans: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.total)

    def start(self, index: int) -> datetime:
        return self.first + index * MINUTE


def densify(series: Sequence[MinuteCounts], until: datetime) -> Dense | None:
    """The minutes of `series` that start before `until`; None when there are none.

    Raises ValueError when the minutes are not in strictly increasing order.
    """
    kept = [m for m in series if m.start < until]
    if not kept:
        return None
    for earlier, later in pairwise(kept):
        if later.start <= earlier.start:
            raise ValueError(
                f"minutes out of order: {later.start.isoformat()} after {earlier.start.isoformat()}"
            )
    first = kept[0].start
    size = (kept[-1].start - first) // MINUTE + 1
    columns: list[list[int]] = [[0] * size for _ in range(4)]
    for minute in kept:
        at = (minute.start - first) // MINUTE
        columns[0][at] = minute.total
        columns[1][at] = minute.mismatches
        columns[2][at] = minute.errors_candidate
        columns[3][at] = minute.orphans
    return Dense(first, *(tuple(column) for column in columns))
