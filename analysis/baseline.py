"""Noise measured against a secondary: Diffy's primary-versus-secondary baseline rule.

When a gateway also sends each request to a second instance of the old
backend, how often primary and secondary differ at a path measures that
path's noise: two copies of the same code disagree only where the answer is
volatile. A candidate difference at a path is real only when it happens
clearly more often than that baseline. For one endpoint and path, over the
same `total` requests, with `raw` candidate differences and `noise`
secondary differences:

- absolute difference: |raw - noise| / total * 100 (percent of requests);
- relative difference: |raw - noise| / (raw + noise) * 100;
- real when raw > noise, the relative difference is above `relative` and the
  absolute difference above `absolute`; noise otherwise.

The judge only: counting primary-versus-secondary differences needs the join
to wait for a secondary side, which it does not do yet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BaselineThresholds:
    """How far above the secondary's baseline a path's differences must be to count."""

    relative: float = 20.0
    absolute: float = 0.03

    def __post_init__(self) -> None:
        if self.relative < 0 or self.absolute < 0:
            raise ValueError("baseline thresholds must not be negative")


@dataclass(frozen=True, slots=True)
class PathBaseline:
    """One endpoint path's counts over the same requests, and the differences derived."""

    total: int
    raw: int
    noise: int

    def __post_init__(self) -> None:
        if min(self.total, self.raw, self.noise) < 0 or max(self.raw, self.noise) > self.total:
            raise ValueError(
                f"counts must satisfy 0 <= raw, noise <= total; got {self.raw}, {self.noise} "
                f"of {self.total}"
            )

    @property
    def absolute_difference(self) -> float:
        return abs(self.raw - self.noise) / self.total * 100 if self.total else 0.0

    @property
    def relative_difference(self) -> float:
        both = self.raw + self.noise
        return abs(self.raw - self.noise) / both * 100 if both else 0.0


def is_noise(path: PathBaseline, thresholds: BaselineThresholds = BaselineThresholds()) -> bool:
    """Whether the candidate's differences at the path are within the secondary's baseline."""
    real = (
        path.raw > path.noise
        and path.relative_difference > thresholds.relative
        and path.absolute_difference > thresholds.absolute
    )
    return not real
