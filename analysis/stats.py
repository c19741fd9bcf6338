"""Confidence bounds of a rate estimated from counts."""

from __future__ import annotations

import math
from functools import cache
from statistics import NormalDist


@cache
def z_score(confidence: float) -> float:
    """The two-sided normal quantile of `confidence` (0.95 -> 1.96)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(successes: float, trials: float, z: float) -> tuple[float, float]:
    """The Wilson score interval of `successes` out of `trials`: (lower, upper).

    Unlike the normal approximation it stays within [0, 1] and is honest at
    small counts, which is what keeps three mismatches out of four requests
    from looking certain. No trials: (0, 1), knowing nothing. Counts may be
    fractional (decayed sums of an EWMA baseline).
    """
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    scale = 1 + z2 / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)
