"""`shadowdiff diff` prints the comparison of two body files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shadowdiff.cli import main


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_json_output_has_the_contract_fields(tmp_path: Path) -> None:
    big = 123456789012345678901234567890
    a = write(tmp_path, "a.json", f'{{"id": 1, "tags": ["x"], "n": {big}}}')
    b = write(tmp_path, "b.json", f'{{"id": 2, "tags": ["x", "y"], "n": {big}}}')
    result = CliRunner().invoke(main, ["diff", a, b, "--json", "--status-candidate", "500"])
    assert result.exit_code == 1, result.output
    out = json.loads(result.output)
    assert out["verdict"] == "mismatch"
    assert len(out["signature"]) == 16
    assert out["rules_version"]
    found = {(d["path"], d["kind"]): (d["primary"], d["candidate"]) for d in out["differences"]}
    assert found == {
        ("status", "status"): (200, 500),
        ("/id", "value_changed"): (1, 2),
        ("/tags", "array_length"): (1, 2),
        ("/tags/1", "field_added"): (None, "y"),
    }


def test_equal_bodies_exit_zero(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", '{"a": 1, "b": 2}')
    b = write(tmp_path, "b.json", '{"b": 2.0, "a": 1}')
    result = CliRunner().invoke(main, ["diff", a, b])
    assert result.exit_code == 0, result.output
    assert "verdict: match" in result.output


def test_rules_and_endpoint_are_applied(tmp_path: Path) -> None:
    rules = write(
        tmp_path, "rules.yaml", 'endpoints:\n  "GET /a":\n    paths: {/t: {ignore: true}}\n'
    )
    a = write(tmp_path, "a.json", '{"t": 1}')
    b = write(tmp_path, "b.json", '{"t": 2}')
    for endpoint, status in (("GET /a", 0), ("GET /b", 1)):
        args = ["diff", a, b, "--rules", rules, "--endpoint", endpoint]
        assert CliRunner().invoke(main, args).exit_code == status


def test_table_output_lists_each_difference(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", '{"name": "old"}')
    b = write(tmp_path, "b.json", '{"name": "new"}')
    result = CliRunner().invoke(main, ["diff", a, b])
    assert result.exit_code == 1
    row = next(line for line in result.output.splitlines() if line.startswith("/name"))
    assert "value_changed" in row and '"old"' in row and '"new"' in row
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_bad_rules_file_names_the_line(tmp_path: Path) -> None:
    rules = write(tmp_path, "rules.yaml", "default:\n  graphql: sometimes\n")
    a = write(tmp_path, "a.json", "{}")
    result = CliRunner().invoke(main, ["diff", a, a, "--rules", rules])
    assert result.exit_code == 2
    assert "rules.yaml:2:" in result.output


def test_missing_file_is_trouble(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", "{}")
    result = CliRunner().invoke(main, ["diff", a, str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
