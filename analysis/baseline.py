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

The counts come from the rollups the writer keeps for requests judged with a
secondary (`storage.secondary`); `Baseline` holds one endpoint's over a
window, and judges its paths and the signatures made of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class Baseline:
    """One endpoint's requests with a secondary over a window, and per folded path
    how many of them the candidate and the secondary differed at: (candidate, secondary).
    """

    requests: int
    paths: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def path(self, path: str) -> PathBaseline:
        raw, noise = self.paths.get(path, (0, 0))
        return PathBaseline(self.requests, raw, noise)

    def path_is_noise(self, path: str, thresholds: BaselineThresholds) -> bool:
        """Diffy's rule at `path`, where the requests with a secondary say anything.

        A path where neither side differed on any request with a secondary
        (the problem only ever showed on requests without one) has no
        evidence either way, and is not called noise.
        """
        counts = self.path(path)
        return counts.raw + counts.noise > 0 and is_noise(counts, thresholds)

    def explains(self, paths: Iterable[str], thresholds: BaselineThresholds) -> bool:
        """Whether every one of `paths` (a signature's) is noise; False for none."""
        paths = list(paths)
        return bool(paths) and all(self.path_is_noise(p, thresholds) for p in paths)


def signature_noise(
    paths: Iterable[str], baseline: Baseline | None, thresholds: BaselineThresholds
) -> bool | None:
    """Whether a signature made of the folded `paths` is noise by the endpoint's
    secondary baseline; None when the endpoint had no request with a secondary."""
    if baseline is None or baseline.requests == 0:
        return None
    return baseline.explains(paths, thresholds)
