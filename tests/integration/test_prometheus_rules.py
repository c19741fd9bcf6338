"""The shipped Prometheus rules: valid, unit-tested with promtool, each with its runbook.

promtool comes from Debian's `prometheus` package (`make services` installs it);
without it these tests are skipped, and under CI they fail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
RULES = ROOT / "deploy" / "prometheus" / "shadowdiff-alerts.yml"
RULE_TESTS = sorted((ROOT / "deploy" / "prometheus" / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"


def run(promtool: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def alerts() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def test_promtool_checks_every_rule(promtool: Path) -> None:
    checked = run(promtool, "check", "rules", RULES)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


def test_promtool_unit_tests_pass_and_cover_every_alert(promtool: Path) -> None:
    assert RULE_TESTS, "no promtool unit tests under deploy/prometheus/tests"
    tested = run(promtool, "test", "rules", *RULE_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    fired = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {a["alert"] for a in alerts()} <= fired, "every alert must be seen firing in a test"


def test_a_unit_test_expecting_the_wrong_alert_fails(promtool: Path, tmp_path: Path) -> None:
    """The harness can fail: a guard test turned around is caught."""
    (tmp_path / "rules.yml").write_text(RULES.read_text())
    broken = RULE_TESTS[0].read_text().replace("../shadowdiff-alerts.yml", "rules.yml")
    # At minute 63 the fast burn must not fire yet; expecting it to must fail.
    broken = broken.replace(
        "exp_alerts: []  # the 5 m window burns, the hour does not yet",
        "exp_alerts: [{exp_labels: {severity: critical, endpoint: 'GET /users/{id}'}}]",
    )
    (tmp_path / "test.yml").write_text(broken)
    tested = run(promtool, "test", "rules", tmp_path / "test.yml")
    assert tested.returncode != 0
    assert "ShadowdiffMismatchBudgetFastBurn" in tested.stdout + tested.stderr


def test_every_alert_has_a_severity_a_text_and_a_runbook_section() -> None:
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    for alert in alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in ("critical", "warning"), name
        notes = alert["annotations"]
        assert notes["summary"] and notes["description"], name
        page, _, anchor = notes["runbook_url"].partition("#")
        assert page == "docs/runbook.md" and anchor in anchors, f"{name}: no section #{anchor}"
        # The minimum-volume guard: every alert's condition is joined with a count.
        assert ">=" in alert["expr"], f"{name} has no minimum-volume guard"
