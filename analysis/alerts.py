"""What the judge says: alerts with stable IDs, states in event time, and their numbers.

An alert's ID is a hash of its rule, its endpoint and the start of the window
that opened it (and the signature, for `new_signature`), so judging the same
minutes twice, or after a restart, names the same alert again: whoever stores
alerts upserts by ID, and a later judgement moves the same alert from
`firing` to `resolved`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

RuleName = Literal["spike", "candidate_errors", "orphans", "new_signature"]
AlertState = Literal["firing", "resolved"]
"""`firing` until the rule has not held for its `resolve_after_minutes`, then `resolved`."""


def alert_id(rule: RuleName, endpoint: str, window_start: datetime, signature: str = "") -> str:
    """The stable ID: 32 hex digits of SHA-256 over rule, endpoint, window start (UTC)."""
    key = "\x1f".join((rule, endpoint, window_start.isoformat(), signature))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Sample:
    """`count` of `total` requests, their rate, and the rate's Wilson interval."""

    count: float
    total: float
    rate: float
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        return {
            "count": self.count,
            "total": self.total,
            "rate": self.rate,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. Times are event times (the traffic's), never a process clock.

    `window_start`/`window_end` bound the window that opened it; `opened_at` is
    that window's end; `resolved_at` is the end of the window at which it
    resolved. `observed` (and `baseline`, for spikes) are the numbers that made
    it fire. `threshold` is the rule's fixed bar, where it has one.
    """

    id: str
    rule: RuleName
    endpoint: str
    state: AlertState
    window_start: datetime
    window_end: datetime
    opened_at: datetime
    resolved_at: datetime | None
    observed: Sample | None
    baseline: Sample | None = None
    threshold: float | None = None
    signature: str | None = None
    summary: str = ""
    examples: tuple[str, ...] = ()

    @property
    def dedupe_key(self) -> str:
        """The ID and state: one delivery per alert per state."""
        return f"{self.id}:{self.state}"

    def to_json(self) -> dict[str, Any]:
        """The alert as JSON-ready values (ISO-8601 times), as `shadowdiff alerts --json`."""
        return {
            "id": self.id,
            "rule": self.rule,
            "endpoint": self.endpoint,
            "state": self.state,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "opened_at": self.opened_at.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
            "observed": None if self.observed is None else self.observed.to_json(),
            "baseline": None if self.baseline is None else self.baseline.to_json(),
            "threshold": self.threshold,
            "signature": self.signature,
            "summary": self.summary,
            "examples": list(self.examples),
        }

    def headline(self) -> str:
        """One line for a person: what, where, how much."""
        if self.rule == "new_signature":
            what = f"new difference {self.summary or self.signature}"
        else:
            what = {
                "spike": "mismatch spike",
                "candidate_errors": "candidate errors",
                "orphans": "candidate side missing",
            }[self.rule]
            if self.observed is not None:
                what += f" {self.observed.rate:.1%} of {self.observed.total:g} requests"
            if self.baseline is not None:
                what += f" (baseline {self.baseline.rate:.1%})"
        return f"[{self.state}] {self.endpoint}: {what}"
