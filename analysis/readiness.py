"""Readiness: is an endpoint's candidate good enough to take the traffic?

A pure judge, in the manner of a canary judge: the evidence of one endpoint
over a window (counts from the rollups, triage, latency percentiles) and the
criteria give a verdict, `ready` or `not_ready` with every reason that holds.

The criteria, each with its default (`ReadinessCriteria`):

- the match rate, mismatches marked expected (and noise) counted as agreeing,
  has a Wilson lower bound (95 %) at or above `target` (99.9 %): a rate read
  from few requests is not trusted, and the verdict says how many more
  requests the bound needs at the current match rate, and how long that takes
  at the current traffic;
- no open signature: every distinct problem seen in the window is triaged
  (expected or fixed); a new or regressed one holds the endpoint back;
- no new problem for `quiet_hours` (24) before the window's end;
- candidate errors (`error_candidate`) at most `max_candidate_errors` (0.1 %)
  of requests;
- the candidate's latency p50 and p95 at most `latency_budget` (10 %) above the
  primary's.

Requests whose primary gave nothing to compare with (`missing_primary`,
`error_primary`, `error_both`) are counted but not judged; a candidate that
never answered (`missing_candidate`) or failed (`error_candidate`) disagrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from analysis.stats import wilson, z_score

ReadinessVerdict = Literal["ready", "not_ready"]
"""`ready`: every criterion holds; `not_ready`: at least one reason says why not."""


@dataclass(frozen=True, slots=True)
class ReadinessCriteria:
    """What `ready` demands of one endpoint (see the module docstring)."""

    target: float = 0.999
    confidence: float = 0.95
    latency_budget: float = 0.10
    max_candidate_errors: float = 0.001
    quiet_hours: float = 24.0

    def __post_init__(self) -> None:
        for name in ("target", "max_candidate_errors"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if not 0 < self.target < 1:
            raise ValueError(f"target must be above 0 and below 1, got {self.target}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.latency_budget < 0 or self.quiet_hours < 0:
            raise ValueError("latency_budget and quiet_hours must not be negative")


@dataclass(frozen=True, slots=True)
class Latency:
    """p50 and p95 of one side in ms (None: no latency recorded)."""

    p50: float | None
    p95: float | None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the store knows about one endpoint over the window.

    `verdicts` counts each verdict; `excused` the non-matching requests whose
    problem is marked expected (or is noise); `open_signatures` the problems
    seen in the window still new or regressed; `last_new_problem` the first
    sighting of the newest problem not marked expected. `first` and `until`
    bound the traffic seen, for its rate.
    """

    endpoint: str
    verdicts: dict[str, int]
    excused: int
    open_signatures: int
    last_new_problem: datetime | None
    primary: Latency
    candidate: Latency
    first: datetime | None
    until: datetime

    @property
    def requests(self) -> int:
        return sum(self.verdicts.values())

    @property
    def judged(self) -> int:
        unjudged = ("missing_primary", "error_primary", "error_both")
        return self.requests - sum(self.verdicts.get(v, 0) for v in unjudged)

    @property
    def agreeing(self) -> int:
        return min(self.judged, self.verdicts.get("match", 0) + self.excused)


@dataclass(frozen=True, slots=True)
class Readiness:
    """The judgement of one endpoint: verdict, every reason, and the figures behind them."""

    endpoint: str
    verdict: ReadinessVerdict
    reasons: tuple[str, ...]
    requests: int
    judged: int
    match_rate: float | None
    lower_bound: float | None
    target: float
    candidate_error_rate: float | None
    open_signatures: int
    since_new_problem: timedelta | None
    primary: Latency
    candidate: Latency
    latency_budget: float
    more_requests: int | None
    more_time: timedelta | None

    def to_json(self) -> dict[str, Any]:
        def side(latency: Latency) -> dict[str, float | None]:
            return {"p50": latency.p50, "p95": latency.p95}

        since = self.since_new_problem
        return {
            "endpoint": self.endpoint,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "requests": self.requests,
            "judged": self.judged,
            "match_rate": self.match_rate,
            "lower_bound": self.lower_bound,
            "target": self.target,
            "latency_ms": {
                "primary": side(self.primary),
                "candidate": side(self.candidate),
                "budget": self.latency_budget,
            },
            "candidate_error_rate": self.candidate_error_rate,
            "open_signatures": self.open_signatures,
            "hours_since_new_signature": None if since is None else since / timedelta(hours=1),
            "more_requests_needed": self.more_requests,
            "more_hours_needed": None
            if self.more_time is None
            else self.more_time / timedelta(hours=1),
        }


def requests_needed(rate: float, target: float, z: float) -> int | None:
    """The fewest requests at match rate `rate` whose Wilson lower bound reaches `target`.

    None when no number will do (the rate itself is not above the target).
    """
    if rate <= target:
        return None
    if rate >= 1.0:  # the bound of n out of n is n / (n + z²)
        return math.ceil(target * z * z / (1 - target))
    high = 1
    while wilson(rate * high, high, z)[0] < target:
        high *= 2
        if high > 1 << 50:
            return None
    low = high // 2
    while low + 1 < high:
        middle = (low + high) // 2
        if wilson(rate * middle, middle, z)[0] >= target:
            high = middle
        else:
            low = middle
    return high


def _pct(value: float) -> str:
    return f"{value * 100:.4g} %"


def judge_readiness(evidence: Evidence, criteria: ReadinessCriteria) -> Readiness:
    """Whether `evidence` meets `criteria`: a verdict with every reason that holds."""
    z = z_score(criteria.confidence)
    reasons: list[str] = []
    judged, agreeing = evidence.judged, evidence.agreeing
    rate = agreeing / judged if judged else None
    bound = wilson(agreeing, judged, z)[0] if judged else None
    more: int | None = None
    more_time: timedelta | None = None
    if rate is None or bound is None:
        reasons.append("no judged requests in the window")
    elif bound < criteria.target:
        needed = requests_needed(rate, criteria.target, z)
        if needed is None:
            reasons.append(
                f"match rate {_pct(rate)} is below the target {_pct(criteria.target)}: "
                "more traffic will not help"
            )
        else:
            more = max(1, needed - judged)
            more_time = _time_for(more, evidence)
            when = (
                "" if more_time is None else f" (about {_duration(more_time)} at the current rate)"
            )
            reasons.append(
                f"lower bound {_pct(bound)} of the match rate {_pct(rate)} is below the "
                f"target {_pct(criteria.target)}: {more} more requests needed{when}"
            )
    if evidence.open_signatures:
        reasons.append(
            f"{evidence.open_signatures} open signature(s): triage them "
            "(`shadowdiff signatures --status new`, `--status regressed`)"
        )
    since = None
    if evidence.last_new_problem is not None:
        since = max(timedelta(0), evidence.until - evidence.last_new_problem)
        if since < timedelta(hours=criteria.quiet_hours):
            reasons.append(
                f"a new problem appeared {_duration(since)} before the window's end "
                f"(quiet period {criteria.quiet_hours:g} h)"
            )
    errors = evidence.verdicts.get("error_candidate", 0)
    error_rate = errors / evidence.requests if evidence.requests else None
    if error_rate is not None and error_rate > criteria.max_candidate_errors:
        reasons.append(
            f"candidate errors {_pct(error_rate)} of requests, above "
            f"{_pct(criteria.max_candidate_errors)}"
        )
    reasons.extend(_latency_reasons(evidence, criteria.latency_budget))
    return Readiness(
        endpoint=evidence.endpoint,
        verdict="not_ready" if reasons else "ready",
        reasons=tuple(reasons),
        requests=evidence.requests,
        judged=judged,
        match_rate=rate,
        lower_bound=bound,
        target=criteria.target,
        candidate_error_rate=error_rate,
        open_signatures=evidence.open_signatures,
        since_new_problem=since,
        primary=evidence.primary,
        candidate=evidence.candidate,
        latency_budget=criteria.latency_budget,
        more_requests=more,
        more_time=more_time,
    )


def _latency_reasons(evidence: Evidence, budget: float) -> list[str]:
    reasons = []
    for name in ("p50", "p95"):
        primary = getattr(evidence.primary, name)
        candidate = getattr(evidence.candidate, name)
        if primary is None or candidate is None or primary <= 0:
            continue
        if candidate > primary * (1 + budget):
            reasons.append(
                f"candidate latency {name} {candidate:.0f} ms is {candidate / primary - 1:.0%} "
                f"above the primary's {primary:.0f} ms (budget +{budget:.0%})"
            )
    return reasons


def _time_for(more: int, evidence: Evidence) -> timedelta | None:
    """How long `more` requests take at the endpoint's rate over the traffic seen."""
    if evidence.first is None or evidence.until <= evidence.first or not evidence.requests:
        return None
    per_request = (evidence.until - evidence.first) / evidence.requests
    return per_request * more


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
