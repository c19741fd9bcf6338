"""Bad input is reported, never silently dropped nor fatal to the rest of a capture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowdiff.cli import main
from shadowdiff.commands.demo import invoked_as
from streams.capture import CaptureError, read_capture


def side(request_id: str, which: str, endpoint: str = "GET /users/{id}") -> str:
    return json.dumps(
        {
            "request_id": request_id,
            "side": which,
            "endpoint": endpoint,
            "method": "GET",
            "path": "/users/1",
            "started_at": "2025-01-06T09:00:00Z",
            "status": 200,
            "response_body": {"id": 1},
        }
    )


def write(tmp_path: Path, lines: list[str], name: str = "capture.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


def demo(tmp_path: Path, capture: Path, *extra: str) -> tuple[int, str, str]:
    args = ["demo", "--capture", str(capture), "--db", f"sqlite:///{tmp_path / 'r.sqlite'}"]
    outcome = CliRunner().invoke(main, [*args, *extra])
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_a_lenient_read_skips_bad_lines_and_names_them(tmp_path: Path) -> None:
    capture = write(tmp_path, [side("a", "primary"), "{oops", '{"side": "x"}', side("a", "other")])
    skipped: list[CaptureError] = []
    read = list(read_capture(capture, on_skip=skipped.append))
    assert [e.request_id for e in read] == ["a"]
    assert [(e.line, e.problem.split(":")[0]) for e in skipped] == [
        (2, "not valid JSON"),
        (3, "missing required field 'request_id'"),
        (4, "unknown side 'other' (expected one of primary, candidate, secondary)"),
    ]
    with pytest.raises(CaptureError, match=r"capture.jsonl:2: not valid JSON"):
        list(read_capture(capture))


def test_demo_judges_the_good_lines_counts_the_bad_and_exits_3(tmp_path: Path) -> None:
    bad = [f'{{"broken": {n}' for n in range(7)]
    capture = write(tmp_path, [side("a", "primary"), *bad, side("a", "candidate")])
    code, out, err = demo(tmp_path, capture)
    assert code == 3, err
    assert "2 exchanges from capture.jsonl (7 malformed skipped): 1 pair" in out
    assert "Warning: 7 malformed records were skipped" in err
    shown = [line for line in err.splitlines() if "capture.jsonl:" in line]
    assert [line.split(":")[1] for line in shown] == ["2", "3", "4", "5", "6"]
    assert "... and 2 more" in err


def test_demo_strict_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    capture = write(tmp_path, [side("a", "primary"), "{oops", side("a", "candidate")])
    code, _out, err = demo(tmp_path, capture, "--strict")
    assert code == 1
    assert "Error: " in err and "capture.jsonl:2: not valid JSON" in err


def test_an_empty_capture_is_a_warning(tmp_path: Path) -> None:
    code, out, err = demo(tmp_path, write(tmp_path, []))
    assert code == 0
    assert "holds no exchanges" in err
    assert out.startswith("0 exchanges")


def test_secondary_sides_are_counted(tmp_path: Path) -> None:
    lines = [side("a", "primary"), side("a", "secondary"), side("a", "candidate")]
    lines.append(side("b", "secondary"))  # its primary and candidate never come
    code, out, _err = demo(tmp_path, write(tmp_path, lines))
    assert code == 0
    assert "4 exchanges from capture.jsonl: 1 pair, 0 orphans, 0 duplicates absorbed, " in out
    assert "1 with a secondary, 1 secondary without its pair; 1 result stored" in out


def test_a_rules_section_matching_no_endpoint_is_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'endpoints:\n  "GET /user/{id}":\n    paths: {/x: {ignore: true}}\n'
        '  "GET /users/*":\n    paths: {/y: {ignore: true}}\n'
    )
    capture = write(tmp_path, [side("a", "primary"), side("a", "candidate")])
    code, out, _err = demo(tmp_path, capture, "--rules", str(rules))
    assert code == 0
    assert "rules: the section 'GET /user/{id}' matched no endpoint" in out
    assert "'GET /users/*' matched" not in out

    checked = CliRunner().invoke(main, ["rules", "check", str(rules), "--capture", str(capture)])
    assert checked.exit_code == 1
    assert "  GET /users/*: GET /users/{id}" in checked.stdout
    assert "'GET /user/{id}': closest known: 'GET /users/{id}'" in checked.stderr

    alone = CliRunner().invoke(main, ["rules", "check", str(rules)])
    assert alone.exit_code == 0 and "valid" in alone.stdout


def test_rules_check_reports_a_broken_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("endpoints: [1, 2]\n")
    outcome = CliRunner().invoke(main, ["rules", "check", str(rules)])
    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("Error: ")


def test_an_unknown_endpoint_names_the_closest_known(tmp_path: Path) -> None:
    lines = [side("a", "primary"), side("a", "candidate")]
    demo(tmp_path, write(tmp_path, lines))
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    for command in ("mismatches", "timeseries", "signatures", "readiness", "noise"):
        typo = CliRunner().invoke(main, [command, "--db", db, "--endpoint", "GET /user/{id}"])
        assert typo.exit_code == 0, (command, typo.output)
        assert "endpoint 'GET /user/{id}': closest known: 'GET /users/{id}'" in typo.stderr, command
        real = CliRunner().invoke(main, [command, "--db", db, "--endpoint", "GET /users/{id}"])
        assert real.exit_code == 0 and "closest known" not in real.stderr, command


def test_the_demo_hints_name_the_program_as_run_and_a_real_request(tmp_path: Path) -> None:
    assert invoked_as(".venv/bin/shadowdiff") == ".venv/bin/shadowdiff"
    assert invoked_as("/somewhere/python/shadowdiff/__main__.py").endswith(" -m shadowdiff")
    differing = side("a", "candidate").replace('"id": 1', '"id": 2')
    _code, out, _err = demo(tmp_path, write(tmp_path, [side("a", "primary"), differing]))
    assert "-m shadowdiff show a --db" in out  # pytest is no `shadowdiff` on the PATH
    assert "REQUEST_ID" not in out and "\n  shadowdiff " not in out
