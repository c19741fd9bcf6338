"""Judge one endpoint's minute series: spikes, candidate errors and orphans.

Pure and deterministic: the same series, rules and `now` give the same alerts,
with the same IDs. Time is event time: `now` is the judge's clock (the newest
event time the caller knows of), and a minute is judged only once `grace_s`
has passed its end, so a minute whose rollup may still grow is never judged.

Each rule is checked at the end of every judged minute over the window ending
there. A check holds, fails, or cannot tell (too few requests, too little
baseline); the last never opens nor resolves an alert. An alert opens at the
first check that holds and resolves after `resolve_after_minutes` consecutive
failing checks; the next check that holds opens a new alert, with a new ID.
Every alert found in the series is returned, resolved ones included: the
caller stores them by ID, so an alert already known is merely confirmed.

The caller passes enough history for the baseline (`baseline_minutes` plus
the window, for a spike) and for any alert still open: an alert whose opening
minute is no longer in the series cannot be named again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from analysis.alerts import Alert, RuleName, Sample, alert_id
from analysis.rules import AlertRules, RatioRule, SpikeRule
from analysis.series import Dense, MinuteCounts, densify, floor_minute
from analysis.stats import wilson, z_score


@dataclass(frozen=True, slots=True)
class Check:
    """One rule checked over the window ending at `window_end`: held, failed, or None."""

    window_start: datetime
    window_end: datetime
    holds: bool | None
    observed: Sample
    baseline: Sample | None = None


def judged_until(now: datetime, rules: AlertRules) -> datetime:
    """The end of the last minute that may be judged at event time `now`."""
    return floor_minute(now - timedelta(seconds=rules.grace_s))


def judge_endpoint(
    endpoint: str, series: Sequence[MinuteCounts], rules: AlertRules, *, now: datetime
) -> tuple[Alert, ...]:
    """Every spike, candidate-error and orphan alert in `series`, oldest first."""
    dense = densify(series, judged_until(now, rules))
    if dense is None:
        return ()
    found: list[Alert] = []
    if rules.spike.enabled:
        found += _episodes("spike", endpoint, spike_checks(dense, rules.spike), rules.spike)
    if rules.candidate_errors.enabled:
        checks = ratio_checks(dense, dense.errors_candidate, rules.candidate_errors)
        found += _episodes("candidate_errors", endpoint, checks, rules.candidate_errors)
    if rules.orphans.enabled:
        checks = ratio_checks(dense, dense.orphans, rules.orphans)
        found += _episodes("orphans", endpoint, checks, rules.orphans)
    return tuple(sorted(found, key=lambda a: (a.opened_at, a.rule)))


def _sums(values: Sequence[int]) -> list[int]:
    return [0, *accumulate(values)]


def _sample(count: float, total: float, z: float) -> Sample:
    low, high = wilson(count, total, z)
    return Sample(count, total, count / total if total else 0.0, low, high)


def spike_checks(dense: Dense, rule: SpikeRule) -> Iterator[Check]:
    """The spike rule checked at the end of every minute with a full window behind it."""
    z = z_score(rule.confidence)
    width = rule.window_minutes
    totals, mismatches = _sums(dense.total), _sums(dense.mismatches)
    ewma = _ewma(dense, rule) if rule.baseline == "ewma" else None
    for end in range(width, len(dense) + 1):
        begin = end - width
        n = totals[end] - totals[begin]
        observed = _sample(mismatches[end] - mismatches[begin], n, z)
        if ewma is not None:
            base_m, base_n = ewma[begin]
        else:
            since = max(0, begin - rule.baseline_minutes)
            base_m = mismatches[begin] - mismatches[since]
            base_n = totals[begin] - totals[since]
        baseline = _sample(base_m, base_n, z)
        holds: bool | None = None
        if n >= rule.min_requests and base_n >= rule.min_baseline_requests:
            holds = (
                observed.rate >= rule.factor * baseline.rate
                and observed.rate - baseline.rate >= rule.margin
                and observed.low > baseline.high
            )
        yield Check(dense.start(begin), dense.start(end), holds, observed, baseline)


def _ewma(dense: Dense, rule: SpikeRule) -> list[tuple[float, float]]:
    """Decayed (mismatches, requests) of the minutes before each index.

    Sums rather than averages, so the requests also weigh the baseline's Wilson
    interval: a steady endpoint's decayed sum is about its per-minute volume
    times 1.44 half-lives.
    """
    keep = 0.5 ** (1 / rule.ewma_half_life_minutes)
    sums = [(0.0, 0.0)]
    m = n = 0.0
    for minute_m, minute_n in zip(dense.mismatches, dense.total, strict=True):
        m, n = m * keep + minute_m, n * keep + minute_n
        sums.append((m, n))
    return sums


def ratio_checks(dense: Dense, counts: Sequence[int], rule: RatioRule) -> Iterator[Check]:
    """A share of requests checked against `rule.threshold` at the end of every minute."""
    z = z_score(rule.confidence)
    width = rule.window_minutes
    totals, parts = _sums(dense.total), _sums(counts)
    for end in range(width, len(dense) + 1):
        begin = end - width
        n = totals[end] - totals[begin]
        observed = _sample(parts[end] - parts[begin], n, z)
        holds = observed.low > rule.threshold if n >= rule.min_requests else None
        yield Check(dense.start(begin), dense.start(end), holds, observed)


def _episodes(
    rule_name: RuleName,
    endpoint: str,
    checks: Iterator[Check],
    rule: SpikeRule | RatioRule,
) -> list[Alert]:
    threshold = rule.threshold if isinstance(rule, RatioRule) else None
    alerts: list[Alert] = []
    opening: Check | None = None
    failing = 0
    for check in checks:
        if opening is None:
            if check.holds:
                opening, failing = check, 0
            continue
        if check.holds is None:
            continue
        failing = 0 if check.holds else failing + 1
        if failing >= rule.resolve_after_minutes:
            alerts.append(_alert(rule_name, endpoint, opening, threshold, check.window_end))
            opening = None
    if opening is not None:
        alerts.append(_alert(rule_name, endpoint, opening, threshold, None))
    return alerts


def _alert(
    rule: RuleName,
    endpoint: str,
    opening: Check,
    threshold: float | None,
    resolved_at: datetime | None,
) -> Alert:
    return Alert(
        id=alert_id(rule, endpoint, opening.window_start),
        rule=rule,
        endpoint=endpoint,
        state="firing" if resolved_at is None else "resolved",
        window_start=opening.window_start,
        window_end=opening.window_end,
        opened_at=opening.window_end,
        resolved_at=resolved_at,
        observed=opening.observed,
        baseline=opening.baseline,
        threshold=threshold,
    )
