"""The readiness judge: criteria, reasons, and the requests a bound still needs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

import comparator
from analysis.readiness import (
    Evidence,
    Latency,
    ReadinessCriteria,
    judge_readiness,
    requests_needed,
)
from analysis.readiness_rules import ReadinessRulesError, parse_readiness_rules
from analysis.stats import wilson, z_score

END = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
Z = z_score(0.95)
SAME = Latency(30.0, 60.0)


BASE = Evidence(
    endpoint="GET /x",
    verdicts={"match": 10_000},
    excused=0,
    open_signatures=0,
    last_new_problem=None,
    primary=SAME,
    candidate=SAME,
    first=END - timedelta(hours=10),
    until=END,
)


def evidence(**changes: Any) -> Evidence:
    return dataclasses.replace(BASE, **changes)


@pytest.mark.parametrize("rate", [1.0, 0.9995, 0.99925])
def test_requests_needed_is_the_smallest_count_whose_bound_reaches_the_target(
    rate: float,
) -> None:
    n = requests_needed(rate, 0.999, Z)
    assert n is not None
    assert wilson(rate * n, n, Z)[0] >= 0.999
    assert wilson(rate * (n - 1), n - 1, Z)[0] < 0.999


def test_no_count_is_enough_at_or_below_the_target() -> None:
    assert requests_needed(0.999, 0.999, Z) is None
    assert requests_needed(0.5, 0.999, Z) is None


def test_plenty_of_agreeing_traffic_is_ready() -> None:
    verdict = judge_readiness(evidence(), ReadinessCriteria())
    assert verdict.verdict == "ready" and verdict.reasons == ()
    assert verdict.to_json()["latency_ms"]["candidate"] == {"p50": 30.0, "p95": 60.0}


def test_every_failing_criterion_is_a_reason() -> None:
    verdict = judge_readiness(
        evidence(
            verdicts={"match": 9_000, "mismatch": 980, "error_candidate": 20},
            open_signatures=2,
            last_new_problem=END - timedelta(hours=2),
            candidate=Latency(40.0, 61.0),
        ),
        ReadinessCriteria(),
    )
    assert verdict.verdict == "not_ready"
    text = "\n".join(verdict.reasons)
    assert "more traffic will not help" in text
    assert "2 open signature" in text
    assert "new problem appeared 2.0 h" in text
    assert "candidate errors 0.2 % of requests, above 0.1 %" in text
    assert "latency p50" in text and "latency p95" not in text  # 61 is within 60 + 10 %
    assert len(verdict.reasons) == 5


def test_expected_problems_count_as_agreeing_and_unjudged_requests_are_left_out() -> None:
    verdicts = {"match": 9_990, "mismatch": 10, "missing_primary": 500, "error_both": 5}
    before = judge_readiness(evidence(verdicts=verdicts), ReadinessCriteria())
    assert before.judged == 10_000 and before.requests == 10_505
    assert before.match_rate == pytest.approx(0.999) and before.verdict == "not_ready"
    after = judge_readiness(evidence(verdicts=verdicts, excused=10), ReadinessCriteria())
    assert after.match_rate == 1.0 and after.verdict == "ready"


def test_too_few_requests_says_how_many_more_and_how_long() -> None:
    verdict = judge_readiness(
        evidence(verdicts={"match": 1_000}, first=END - timedelta(hours=1)), ReadinessCriteria()
    )
    needed = requests_needed(1.0, 0.999, Z)
    assert needed is not None and verdict.more_requests == needed - 1_000
    assert verdict.more_time == timedelta(hours=1) / 1_000 * verdict.more_requests
    assert "more requests needed (about" in verdict.reasons[0]


def test_no_traffic_is_not_ready() -> None:
    verdict = judge_readiness(evidence(verdicts={"missing_primary": 3}), ReadinessCriteria())
    assert verdict.verdict == "not_ready" and verdict.match_rate is None


def test_rules_give_per_endpoint_criteria_over_the_default() -> None:
    book = parse_readiness_rules(
        {
            "default": {"target": 0.99, "quiet_hours": 0},
            "endpoints": {"GET /users/*": {"latency_budget": 0.5}, "GET /users/me": {}},
        }
    )
    assert book.for_endpoint("POST /x") == ReadinessCriteria(target=0.99, quiet_hours=0)
    assert book.for_endpoint("GET /users/7").latency_budget == 0.5
    assert book.for_endpoint("GET /users/7").target == 0.99
    assert parse_readiness_rules(None) == parse_readiness_rules({})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"defaults": {}}, "unknown key defaults"),
        ({"default": {"target": 1.5}}, "target must be"),
        ({"default": {"target": "high"}}, "readiness.default.target must be a number"),
        (
            {"endpoints": {"GET /x": {"budget": 1}}},
            "readiness.endpoints.GET /x: unknown key budget",
        ),
        ([1, 2], "readiness must be a mapping"),
    ],
)
def test_bad_rules_name_the_key(data: object, message: str) -> None:
    with pytest.raises(ReadinessRulesError, match=message):
        parse_readiness_rules(data)


def test_the_rules_file_carries_readiness_without_changing_the_rules_version() -> None:
    example = Path(comparator.__file__).parent / "rules.example.yaml"
    text = example.read_text()
    book = parse_readiness_rules(yaml.safe_load(text)["readiness"])
    assert book.for_endpoint("GET /users/7").target == 0.9999
    assert book.for_endpoint("GET /courses").target == 0.999
    without = text[: text.index("\nreadiness:")]
    assert comparator.parse_rules(text).version == comparator.parse_rules(without).version
