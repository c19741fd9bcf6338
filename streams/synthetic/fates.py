"""The vocabulary of synthetic traffic: fates, the mix that chooses them, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from streams.exchange import Exchange, Side

Expected = Literal[
    "match", "mismatch", "missing_primary", "missing_candidate", "error_primary", "error_candidate"
]
"""The verdict family a request must end up with, whatever the comparison rules."""

Scenario = Literal[
    "identical",
    "key_order",
    "number_format",
    "value_changed",
    "field_missing",
    "field_added",
    "array_length",
    "status_500",
    "graphql_error",
    "volatile",
    "orphan_primary",
    "orphan_candidate",
    "error_primary",
    "error_candidate",
]
"""What the generator did to one request."""

EXPECTED: dict[Scenario, Expected] = {
    "identical": "match",
    "key_order": "match",
    "number_format": "match",
    "value_changed": "mismatch",
    "field_missing": "mismatch",
    "field_added": "mismatch",
    "array_length": "mismatch",
    "status_500": "mismatch",
    "graphql_error": "mismatch",
    "volatile": "mismatch",
    "orphan_primary": "missing_candidate",
    "orphan_candidate": "missing_primary",
    "error_primary": "error_primary",
    "error_candidate": "error_candidate",
}

DEFAULT_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Spike:
    """A divergence spike: for `duration` from `after` past the traffic's start,
    `share` of `endpoint`'s requests mismatch (a deploy of the candidate broke it)."""

    endpoint: str
    after: timedelta
    duration: timedelta
    share: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError(f"a spike's share must be in (0, 1], got {self.share}")
        if self.duration <= timedelta(0) or self.after < timedelta(0):
            raise ValueError("a spike starts at or after the traffic and lasts a while")

    def covers(self, endpoint: str, since_start: timedelta) -> bool:
        return endpoint == self.endpoint and self.after <= since_start < self.after + self.duration


@dataclass(frozen=True, slots=True)
class Mix:
    """Relative weights of the fates, and probabilities of the delivery accidents.

    Weights need not sum to 1. `duplicate` and `out_of_order` apply to requests
    where both sides are published.
    """

    match: float = 0.62
    mismatch: float = 0.16
    volatile: float = 0.08
    orphan: float = 0.05
    error: float = 0.09
    duplicate: float = 0.03
    out_of_order: float = 0.15

    def __post_init__(self) -> None:
        weights = (self.match, self.mismatch, self.volatile, self.orphan, self.error)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("fate weights must be non-negative and not all zero")
        for name in ("duplicate", "out_of_order"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability, got {getattr(self, name)}")


DEFAULT_MIX = Mix()


@dataclass(frozen=True, slots=True)
class Fate:
    """What one request should end up as, and why.

    `paths` are the top-level keys of the JSON response body whose values differ
    between the sides (empty when the bodies are equal as JSON or a side is
    absent); `status_differs` says whether the HTTP statuses differ.
    `duplicated` names a side published twice; `out_of_order` is true when the
    candidate's record precedes the primary's in publish order.
    """

    expected: Expected
    scenario: Scenario
    endpoint: str
    paths: frozenset[str] = frozenset()
    status_differs: bool = False
    volatile: bool = False
    duplicated: Side | None = None
    out_of_order: bool = False


@dataclass(frozen=True, slots=True)
class Traffic:
    """Generated exchanges in publish order, and the truth per request ID."""

    exchanges: list[Exchange]
    truth: dict[str, Fate] = field(default_factory=dict)
