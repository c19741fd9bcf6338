"""Alerting judges mismatches excluding expected ones, on a real PostgreSQL server.

The same traffic is stored as two runs: judged before the problem is marked
expected, it spikes and raises a new-signature alert; judged after, neither.
A problem marked fixed that traffic has again raises the new-signature alert
as a regression, with the requests seen since the fix as its examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import storage
from alerting.evaluator import evaluate, lookback
from analysis import AlertRules, RuleBook, SpikeRule
from comparator.model import Difference, Kind, Result, Verdict
from storage import triage
from storage.readiness import readiness_traffic
from tests.storage_contract import make_result

pytestmark = pytest.mark.integration

ENDPOINT = "GET /users/{id}"
RENAMED = Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L.")
SUMMARY = f"{ENDPOINT} mismatch: value_changed /name"
RULES = AlertRules(spike=SpikeRule(baseline_minutes=60), grace_s=0)
BOOK = RuleBook(default=RULES)
SPIKE_AT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
START = SPIKE_AT - timedelta(minutes=130)
"""Matches from here: the new-signature rule needs 1,000 requests before the judged history."""


@pytest.fixture
def engine(fresh_database: str) -> Iterator[sa.Engine]:
    storage.upgrade(fresh_database)
    engine = storage.connect(fresh_database)
    yield engine
    engine.dispose()


def traffic(prefix: str) -> list[Result]:
    """Two hours of matches, then five minutes in which 40 % of requests are renamed."""
    results = [
        make_result(
            f"{prefix}m{minute}-{i}", verdict=Verdict.MATCH, at=START + minute * MINUTE + i * SECOND
        )
        for minute in range(130)
        for i in range(20)
    ]
    for minute in range(5):
        at = SPIKE_AT + minute * MINUTE
        results += [
            make_result(f"{prefix}s{minute}-{i}", verdict=Verdict.MATCH, at=at + i * SECOND)
            for i in range(12)
        ]
        results += [renamed(f"{prefix}x{minute}-{i}", at + (30 + i) * SECOND) for i in range(8)]
    return results


MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def renamed(request_id: str, at: datetime) -> Result:
    return make_result(request_id, differences=[RENAMED], at=at, summary=SUMMARY)


def rules_fired(engine: sa.Engine, run_id: str) -> list[tuple[str, str | None]]:
    found = evaluate(engine, BOOK, run_id=run_id).alerts
    return sorted((alert.rule, alert.signature) for alert in found)


def test_expected_problem_raises_no_spike_nor_new_signature_alert(engine: sa.Engine) -> None:
    for run_id in ("before", "after"):
        storage.ResultWriter(engine, run_id, rules_version="v1").write(traffic(run_id))
    fired = rules_fired(engine, "before")
    (problem,) = {signature for rule, signature in fired if rule == "new_signature"}
    assert [rule for rule, _ in fired] == ["new_signature", "spike"]

    triage.mark(engine, problem, "expected", now=SPIKE_AT + 10 * MINUTE)
    assert rules_fired(engine, "after") == []
    # The readiness reads count it as agreeing through the same join.
    (users,) = readiness_traffic(engine, since=START, until=SPIKE_AT + 5 * MINUTE, run_id="after")
    assert users.expected == 40


def test_fixed_problem_seen_again_raises_the_new_signature_alert(engine: sa.Engine) -> None:
    writer = storage.ResultWriter(engine, rules_version="v1")
    writer.write(traffic("old-"))
    mark_at = SPIKE_AT + 10 * MINUTE
    (problem,) = {s for rule, s in rules_fired(engine, "live") if rule == "new_signature"}
    triage.mark(engine, problem, "fixed", now=mark_at)

    # A day later, long past the judged history of the first sighting.
    later = mark_at + lookback(RULES) + timedelta(hours=1)
    writer.write(
        [make_result(f"later-{i}", verdict=Verdict.MATCH, at=later + i * SECOND) for i in range(50)]
    )
    assert [rule for rule, _ in rules_fired(engine, "live")] == []

    again = later + 2 * MINUTE
    writer.write([renamed("back-1", again), renamed("back-2", again + SECOND)])
    regressions = [
        alert for alert in evaluate(engine, BOOK).alerts if alert.rule == "new_signature"
    ]
    (alert,) = regressions
    assert alert.signature == problem
    assert alert.opened_at == again.replace(second=0)
    assert alert.summary.startswith("fixed, seen again")
    assert alert.examples == ("back-1", "back-2")
