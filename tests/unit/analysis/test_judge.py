"""The judge over synthetic minute series: spikes found fast, noise and low volume ignored.

Run with `-s` to see the false-alert figures of the noise tests.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from analysis import (
    AlertRules,
    MinuteCounts,
    SpikeRule,
    densify,
    judge_endpoint,
    judged_until,
    spike_checks,
)
from tests.unit.analysis.synthetic import DAY, T0, Phase, end_of, series

ENDPOINT = "GET /users/{id}"
RULES = AlertRules()
GRACE = timedelta(seconds=RULES.grace_s)
WINDOW = timedelta(minutes=RULES.spike.window_minutes)


def spike_traffic(seed: int = 7) -> list[MinuteCounts]:
    """A day of 2 % mismatches, an hour of 20 %, then two hours of 2 % again."""
    return series(Phase(DAY), Phase(60, mismatch=0.20), Phase(120), seed=seed)


SPIKE_START = T0 + timedelta(minutes=DAY)
SPIKE_END = SPIKE_START + timedelta(hours=1)


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_spike_from_2_to_20_percent_is_alerted_within_one_window_and_resolves(
    seed: int,
) -> None:
    minutes = spike_traffic(seed)
    alerts = judge_endpoint(ENDPOINT, minutes, RULES, now=end_of(minutes) + GRACE)
    spikes = [a for a in alerts if a.rule == "spike"]
    assert len(spikes) == 1, [a.headline() for a in alerts]
    assert [a.rule for a in alerts] == ["spike"]
    spike = spikes[0]
    assert SPIKE_START < spike.opened_at <= SPIKE_START + WINDOW
    assert spike.state == "resolved" and spike.resolved_at is not None
    # It resolves once the 20 % minutes have left the window, and no later than
    # `resolve_after_minutes` checks after that.
    resolve_after = timedelta(minutes=RULES.spike.resolve_after_minutes)
    assert SPIKE_END < spike.resolved_at <= SPIKE_END + WINDOW + resolve_after
    # The numbers that made it fire.
    assert spike.observed is not None and spike.baseline is not None
    assert spike.observed.rate > 0.07 and spike.observed.low > spike.baseline.high
    assert 0.015 < spike.baseline.rate < 0.025
    assert spike.baseline.total > 100_000  # the previous day


def test_an_open_spike_keeps_its_id_from_judgement_to_judgement() -> None:
    minutes = spike_traffic()
    early = SPIKE_START + WINDOW
    while True:  # the first judgement that sees it, minute by minute
        opened = judge_endpoint(ENDPOINT, minutes, RULES, now=early + GRACE)
        if opened:
            break
        early += timedelta(minutes=1)
    assert early <= SPIKE_START + WINDOW + timedelta(minutes=1)
    (firing,) = opened
    assert firing.state == "firing" and firing.resolved_at is None
    # The same again, and again after the rest of the traffic: one alert, one ID.
    assert judge_endpoint(ENDPOINT, minutes, RULES, now=early + GRACE) == opened
    (resolved,) = judge_endpoint(ENDPOINT, minutes, RULES, now=end_of(minutes) + GRACE)
    assert resolved.id == firing.id and resolved.state == "resolved"
    assert resolved.opened_at == firing.opened_at
    # A restart that re-reads from a later start (still a day of baseline) names it alike.
    later = [m for m in minutes if m.start >= T0 + timedelta(minutes=30)]
    again = judge_endpoint(ENDPOINT, later, RULES, now=end_of(minutes) + GRACE)
    assert [a.id for a in again] == [firing.id]


def test_a_minute_is_judged_only_once_the_grace_period_has_passed_it() -> None:
    minutes = spike_traffic()
    first = judge_endpoint(ENDPOINT, minutes, RULES, now=end_of(minutes) + GRACE)[0]
    assert judge_endpoint(ENDPOINT, minutes, RULES, now=first.opened_at + GRACE)
    before = first.opened_at + GRACE - timedelta(seconds=1)
    assert judged_until(before, RULES) < first.opened_at
    assert judge_endpoint(ENDPOINT, minutes, RULES, now=before) == ()


def _false_alert_figures(label: str, minutes: list[MinuteCounts], rules: AlertRules) -> int:
    now = end_of(minutes) + GRACE
    alerts = judge_endpoint(ENDPOINT, minutes, rules, now=now)
    dense = densify(minutes, judged_until(now, rules))
    assert dense is not None
    checks = [c for c in spike_checks(dense, rules.spike) if c.holds is not None]
    requests = sum(m.total for m in minutes)
    figures = (
        f"\n{label}: {len(minutes)} minutes, {requests} requests, {len(checks)} spike checks "
        f"judged; alerts: {len(alerts)} ({len(alerts) / (len(minutes) / DAY):.2f} a day)"
    )
    if checks:
        worst = max(checks, key=lambda c: c.observed.low - (c.baseline.high if c.baseline else 0))
        assert worst.baseline is not None
        bound_only = sum(1 for c in checks if c.baseline and c.observed.low > c.baseline.high)
        figures += (
            f"; checks the Wilson bounds alone would fire on: {bound_only}"
            f"; highest window rate {max(c.observed.rate for c in checks):.2%}; closest "
            f"check: window lower bound {worst.observed.low:.2%} vs baseline upper bound "
            f"{worst.baseline.high:.2%} (rates {worst.observed.rate:.2%} vs "
            f"{worst.baseline.rate:.2%})"
        )
    else:
        figures += f"; every window below {rules.spike.min_requests} requests"
    print(figures)
    return len(alerts)


@pytest.mark.parametrize("baseline", ["window", "ewma"])
def test_a_week_of_steady_2_percent_noise_raises_no_alert(baseline: str) -> None:
    minutes = series(Phase(7 * DAY), seed=2026)
    rules = dataclasses.replace(RULES, spike=dataclasses.replace(RULES.spike, baseline=baseline))
    assert _false_alert_figures(f"7 days of 2 % noise, {baseline} baseline", minutes, rules) == 0


def test_a_week_of_low_volume_raises_no_alert_even_at_three_mismatches_in_four() -> None:
    # A handful of requests a minute, and nights where 3 of 4 requests mismatch.
    days = [
        series(
            Phase(18 * 60, low=1, high=6),
            Phase(6 * 60, mismatch=0.75, low=0, high=4),
            seed=day,
            start=T0 + timedelta(days=day),
        )
        for day in range(7)
    ]
    minutes = [m for day in days for m in day]
    assert _false_alert_figures("7 days at 0-6 requests a minute", minutes, RULES) == 0


def test_a_spike_at_low_volume_is_not_judged_but_counted_as_unknown() -> None:
    minutes = series(Phase(DAY, low=1, high=6), Phase(60, mismatch=0.5, low=1, high=6))
    assert judge_endpoint(ENDPOINT, minutes, RULES, now=end_of(minutes) + GRACE) == ()
    dense = densify(minutes, end_of(minutes))
    assert dense is not None
    assert all(c.holds is None for c in spike_checks(dense, RULES.spike))


def test_an_ewma_baseline_finds_the_spike_too() -> None:
    minutes = spike_traffic()
    rules = dataclasses.replace(RULES, spike=SpikeRule(baseline="ewma"))
    (spike,) = judge_endpoint(ENDPOINT, minutes, rules, now=end_of(minutes) + GRACE)
    assert SPIKE_START < spike.opened_at <= SPIKE_START + WINDOW
    assert spike.baseline is not None and 0.015 < spike.baseline.rate < 0.025


def test_candidate_errors_and_orphans_over_their_threshold_alert() -> None:
    minutes = series(
        Phase(120), Phase(30, errors=0.15), Phase(60), Phase(30, orphans=0.2), Phase(60)
    )
    alerts = judge_endpoint(ENDPOINT, minutes, RULES, now=end_of(minutes) + GRACE)
    assert [(a.rule, a.state) for a in alerts] == [
        ("candidate_errors", "resolved"),
        ("orphans", "resolved"),
    ]
    errors, orphans = alerts
    assert T0 + timedelta(minutes=120) < errors.opened_at <= T0 + timedelta(minutes=130)
    assert errors.observed is not None and errors.observed.low > 0.05
    assert errors.threshold == RULES.candidate_errors.threshold
    assert T0 + timedelta(minutes=210) < orphans.opened_at <= T0 + timedelta(minutes=220)


def test_rules_turned_off_stay_quiet() -> None:
    minutes = spike_traffic()
    off = AlertRules(spike=SpikeRule(enabled=False))
    assert judge_endpoint(ENDPOINT, minutes, off, now=end_of(minutes) + GRACE) == ()


def test_a_series_out_of_order_is_refused() -> None:
    a, b = series(Phase(2))
    with pytest.raises(ValueError, match="out of order"):
        judge_endpoint(ENDPOINT, [b, a], RULES, now=end_of([a, b]) + GRACE)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MinuteCounts(T0.replace(tzinfo=None), 1), "timezone-aware"),
        (lambda: MinuteCounts(T0 + timedelta(seconds=5), 1), "on the minute"),
        (lambda: MinuteCounts(T0, 3, mismatches=2, orphans=2), "more mismatches"),
        (lambda: MinuteCounts(T0, -1), "negative"),
    ],
)
def test_a_malformed_minute_says_what_is_wrong(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_a_minute_from_the_rollups_verdict_counts() -> None:
    minute = MinuteCounts.from_verdicts(
        T0, {"match": 90, "mismatch": 5, "error_candidate": 3, "missing_candidate": 2}
    )
    assert (minute.total, minute.mismatches, minute.errors_candidate, minute.orphans) == (
        100,
        5,
        3,
        2,
    )


def test_requests_of_expected_problems_count_as_agreeing_in_every_rule() -> None:
    minute = MinuteCounts.from_verdicts(
        T0,
        {"match": 90, "mismatch": 5, "error_candidate": 3, "missing_candidate": 2},
        {"mismatch": 4, "error_candidate": 3},
    )
    assert (minute.total, minute.mismatches, minute.errors_candidate, minute.orphans) == (
        100,
        1,
        0,
        2,
    )
