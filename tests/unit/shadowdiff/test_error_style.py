"""One style for every command: exit status, error prefix, the body's root, JSON null.

Usage errors exit 2 with the usage line; a failure at run time exits 1 with
`Error: `; nothing found is an answer (exit 0). `diff` keeps diff(1)'s statuses
(1: they differ, 2: trouble) with the same prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import storage
from comparator.model import Difference, Kind
from shadowdiff import commands
from shadowdiff.cli import main
from tests.storage_contract import make_result


def run(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, list(args))
    return outcome.exit_code, outcome.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store holding one comparison whose body root and a null differ."""
    url = f"sqlite:///{tmp_path / 'results.db'}"
    storage.upgrade(url)
    differences = (
        Difference("", Kind.TYPE_CHANGED, {"a": 1}, [1]),
        Difference("/data", Kind.TYPE_CHANGED, {"user": 1}, None),
        Difference("/gone", Kind.FIELD_MISSING, None, None),
    )
    result = make_result("req-root", differences=differences)
    storage.ResultWriter(storage.connect(url), rules_version="v1").write([result])
    return url


def _rows(out: str) -> dict[str, list[str]]:
    """Table rows of `show` or `diff`, keyed by their first cell."""
    return {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}


def test_show_names_the_body_root_and_prints_null_and_absence_apart(db: str) -> None:
    code, out = run("show", "req-root", "--db", db)
    assert code == 0, out
    rows = _rows(out)
    assert rows["(body)"][:1] == ["type_changed"]
    assert rows["/data"] == ["type_changed", '{"user":1}', "null"]
    assert rows["/gone"] == ["field_missing", "null", "(absent)"]


def test_mismatches_names_the_body_root_as_show_does(db: str) -> None:
    code, out = run("mismatches", "--db", db)
    assert code == 0, out
    paths = out.split("top differing paths:")[1].split()
    assert "(body)" in paths


def test_diff_names_the_body_root_and_a_graphql_null_data(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"data": {"user": {"id": 1}}}')
    (tmp_path / "b.json").write_text('{"data": null}')
    (tmp_path / "c.json").write_text("[1]")
    code, out = run("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert code == 1, out
    assert _rows(out)["/data"][-1] == "null"
    code, out = run("diff", str(tmp_path / "a.json"), str(tmp_path / "c.json"))
    assert code == 1, out
    assert "(body)" in _rows(out)


def test_diff_reports_trouble_with_the_common_prefix(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    code, out = run("diff", str(tmp_path / "a.json"), str(tmp_path / "nope.json"))
    assert code == 2
    assert out.startswith("Error: cannot read")


def test_nothing_found_is_an_answer(db: str) -> None:
    code, out = run("show", "nope", "--db", db)
    assert code == 0 and "no comparison for request 'nope'" in out
    code, out = run("mismatches", "--db", db, "--since", "2000-01-01", "--until", "2000-01-02")
    assert code == 0 and "no comparisons" in out


def test_a_runtime_failure_exits_1_with_the_prefix(tmp_path: Path) -> None:
    code, out = run("mismatches", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert code == 1
    assert out.startswith("Error: no database at")


@pytest.mark.parametrize("name", commands.names())
def test_a_usage_error_exits_2_with_the_usage_line(name: str) -> None:
    code, out = run(name, "--no-such-flag")
    assert code == 2
    assert out.startswith(f"Usage: main {name}") or out.startswith(f"Usage: shadowdiff {name}")
    assert "Error: No such option: --no-such-flag" in out


def test_a_setting_read_as_a_default_is_named_when_it_is_wrong(db: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-rules.yaml"
    outcome = CliRunner().invoke(main, ["readiness", "--db", db], env={"RULES_FILE": str(missing)})
    assert outcome.exit_code == 2
    assert "RULES_FILE" in outcome.output and str(missing) in outcome.output


def test_the_store_is_found_by_database_url_as_by_db(db: str) -> None:
    by_flag = CliRunner().invoke(main, ["mismatches", "--json", "--db", db])
    by_env = CliRunner().invoke(main, ["mismatches", "--json"], env={"DATABASE_URL": db})
    assert by_env.exit_code == 0 and by_env.output == by_flag.output
    assert '"req-root"' in by_env.output
