"""Triage round trip on a real PostgreSQL server, through the commands a user runs.

Mark a problem expected and readiness's match rate changes; mark it fixed and
new traffic with that problem shows it regressed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import pytest
from click.testing import CliRunner

import storage
from comparator.model import Difference, Kind, Verdict
from shadowdiff.commands import readiness, signatures
from tests.storage_contract import RULES, make_result

pytestmark = pytest.mark.integration

ENDPOINT = "GET /users/{id}"


@click.group()
def main() -> None:
    """The commands of the round trip."""


main.add_command(signatures.command)
main.add_command(readiness.command)


def run(*args: str) -> dict[str, Any]:
    outcome = CliRunner().invoke(main, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output
    found: dict[str, Any] = json.loads(outcome.output)
    return found


def test_mark_expected_changes_readiness_and_mark_fixed_then_regressed(
    fresh_database: str,
) -> None:
    storage.upgrade(fresh_database)
    engine = storage.connect(fresh_database)
    writer = storage.ResultWriter(engine, rules_version=RULES)
    start = datetime.now(UTC) - timedelta(hours=2)
    renamed = Difference("/name", Kind.VALUE_CHANGED, "Ada", "Ada L.")
    writer.write(
        [
            make_result(f"m{i}", verdict=Verdict.MATCH, at=start + timedelta(seconds=i))
            for i in range(90)
        ]
        + [make_result(f"x{i}", differences=[renamed], at=start) for i in range(10)]
    )
    db = ("--db", fresh_database)

    def match_rate() -> float:
        (entry,) = run("readiness", *db, "--window", "1d")["endpoints"]
        return float(entry["match_rate"])

    assert match_rate() == pytest.approx(0.9)
    (problem,) = run("signatures", *db, "--status", "new")["signatures"]
    outcome = CliRunner().invoke(
        main, ["signatures", "mark", problem["signature"], "expected", "--note", "renamed", *db]
    )
    assert outcome.exit_code == 0, outcome.output
    assert match_rate() == 1.0
    assert run("signatures", *db, "--status", "new")["signatures"] == []

    outcome = CliRunner().invoke(main, ["signatures", "mark", problem["signature"], "fixed", *db])
    assert outcome.exit_code == 0, outcome.output
    assert match_rate() == pytest.approx(0.9)  # fixed problems count against readiness again
    assert run("signatures", *db, "--status", "regressed")["signatures"] == []
    writer.write([make_result("again", differences=[renamed], at=datetime.now(UTC))])
    (regressed,) = run("signatures", *db, "--status", "regressed")["signatures"]
    assert regressed["signature"] == problem["signature"] and regressed["count"] == 11
    history = run("signatures", "history", problem["signature"], *db)["marks"]
    assert [m["status"] for m in history] == ["expected", "fixed"]
    engine.dispose()
