"""`shadowdiff status` shows the settings in force, and never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowdiff.cli import main


def test_status_says_whether_a_redaction_key_is_set_but_never_shows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter2@db:5432/shadowdiff")
    monkeypatch.delenv("SHADOWDIFF_REDACTION_KEY", raising=False)
    unset = CliRunner().invoke(main, ["status"])
    assert unset.exit_code == 0, unset.output
    assert "SHADOWDIFF_REDACTION_KEY not set" in unset.output

    monkeypatch.setenv("SHADOWDIFF_REDACTION_KEY", "k-3f9a7c")
    shown = CliRunner().invoke(main, ["status"])
    assert shown.exit_code == 0, shown.output
    assert "SHADOWDIFF_REDACTION_KEY set" in shown.output
    assert "k-3f9a7c" not in shown.output
    assert "hunter2" not in shown.output


def test_a_bad_setting_names_the_variable_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRACE_PERIOD_S", "abc")
    outcome = CliRunner().invoke(main, ["status"])
    assert outcome.exit_code == 1
    assert "GRACE_PERIOD_S" in outcome.output and "'abc'" in outcome.output
    assert not isinstance(outcome.exception, ValueError)  # reported, not raised


def test_status_warns_of_a_rules_file_that_is_not_there(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RULES_FILE", str(tmp_path / "missing.yaml"))
    outcome = CliRunner().invoke(main, ["status"])
    assert outcome.exit_code == 0
    assert "no such file" in outcome.output


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "interpreted"])
def test_status_says_how_the_comparator_runs(
    monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    monkeypatch.setattr("shadowdiff.commands.status.COMPILED", compiled)
    outcome = CliRunner().invoke(main, ["status"])
    assert outcome.exit_code == 0, outcome.output
    line = next(x for x in outcome.output.splitlines() if x.startswith("comparator:"))
    assert ("reinstall shadowdiff" in line) is not compiled
    assert line.split()[1].rstrip(",") == ("compiled" if compiled else "interpreted")


def test_status_names_the_writer_schemas_and_registry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCHEMA_DIR", raising=False)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    plain = CliRunner().invoke(main, ["status"])
    assert "no SCHEMA_DIR" in plain.output and "SCHEMA_REGISTRY_URL unset" in plain.output
    monkeypatch.setenv("SCHEMA_DIR", str(tmp_path))
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "http://registry:8081")
    set_ = CliRunner().invoke(main, ["status"])
    assert f"+ {tmp_path}" in set_.output and "registry:     http://registry:8081" in set_.output
