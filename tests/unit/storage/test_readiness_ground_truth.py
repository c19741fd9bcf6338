"""Readiness says the right thing for endpoints whose truth is known (SQLite store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage
from comparator import RuleSet
from storage import triage
from storage.signature_report import signature_report
from tests.readiness_ground_truth import (
    NOISY,
    RARE_BUG,
    READY,
    SLOW,
    TOO_FEW,
    judge_store,
    readiness,
    traffic,
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    path: Path = tmp_path_factory.mktemp("readiness") / "store.sqlite"
    engine = storage.connect(f"sqlite:///{path}")
    storage.upgrade(engine)
    judge_store(engine, traffic(), RuleSet.default())
    yield engine
    engine.dispose()


def test_each_endpoint_gets_its_true_verdict(engine: sa.Engine) -> None:
    found = readiness(engine)
    for name, verdict in found.items():
        print(f"{name}: {verdict.verdict} {list(verdict.reasons)}")
    assert found[READY].verdict == "ready" and found[READY].reasons == ()
    assert found[READY].lower_bound is not None and found[READY].lower_bound >= 0.999

    rare = found[RARE_BUG]
    assert rare.verdict == "not_ready"
    assert rare.match_rate == pytest.approx(1 - 4 / 8_000)
    assert any("1 open signature" in reason for reason in rare.reasons)

    few = found[TOO_FEW]
    assert few.verdict == "not_ready" and few.match_rate == 1.0
    assert len(few.reasons) == 1 and "more requests needed" in few.reasons[0]
    assert few.more_requests == 3_838 - 300  # the bound of n out of n reaches 99.9 % at 3,838
    assert few.more_time is not None  # at the endpoint's own rate

    slow = found[SLOW]
    assert slow.verdict == "not_ready" and slow.match_rate == 1.0
    assert slow.reasons and all("candidate latency" in reason for reason in slow.reasons)

    noisy = found[NOISY]
    assert noisy.verdict == "not_ready" and noisy.match_rate == 0.0


def test_marking_the_rare_bug_expected_makes_its_endpoint_pass_the_rate(
    engine: sa.Engine,
) -> None:
    (problem,) = signature_report(engine, endpoint=RARE_BUG).signatures
    triage.mark(engine, problem.signature, "expected", now=problem.last_seen)
    try:
        rare = readiness(engine)[RARE_BUG]
        assert rare.match_rate == 1.0 and rare.open_signatures == 0
        # Still counted: the problem stays in the reports.
        assert signature_report(engine, endpoint=RARE_BUG).signatures[0].count == 4
    finally:
        triage.mark(engine, problem.signature, "new", now=problem.last_seen)
    assert readiness(engine)[RARE_BUG].open_signatures == 1
