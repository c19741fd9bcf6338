"""Synthetic minute series for the judge's tests: binomial traffic with a fixed seed."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from analysis import MinuteCounts

T0 = datetime(2026, 3, 2, tzinfo=UTC)
DAY = 24 * 60


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Successes in `n` trials of probability `p`, drawn exactly by geometric gaps."""
    if p <= 0 or n <= 0:
        return 0
    if p >= 1:
        return n
    log_q = math.log1p(-p)
    count, trial = 0, 0
    while True:
        trial += int(math.log(1.0 - rng.random()) / log_q) + 1
        if trial > n:
            return count
        count += 1


@dataclass(frozen=True, slots=True)
class Phase:
    """`minutes` of traffic at `low`..`high` requests a minute with these rates."""

    minutes: int
    mismatch: float = 0.02
    errors: float = 0.002
    orphans: float = 0.002
    low: int = 50
    high: int = 500


def series(*phases: Phase, seed: int = 7, start: datetime = T0) -> list[MinuteCounts]:
    rng = random.Random(seed)
    minutes: list[MinuteCounts] = []
    at = start
    for phase in phases:
        for _ in range(phase.minutes):
            n = rng.randint(phase.low, phase.high)
            m = binomial(rng, n, phase.mismatch)
            e = binomial(rng, n - m, phase.errors)
            o = binomial(rng, n - m - e, phase.orphans)
            minutes.append(MinuteCounts(at, n, m, e, o))
            at += timedelta(minutes=1)
    return minutes


def end_of(minutes: list[MinuteCounts]) -> datetime:
    return minutes[-1].start + timedelta(minutes=1)
