"""`shadowdiff readiness` over a SQLite store: the JSON shape, windows and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shadowdiff.commands import readiness
from tests.storage_contract import DATASET
from tests.unit.storage.cli import filled_store, runner


@pytest.fixture
def filled(tmp_path: Path) -> str:
    return filled_store(tmp_path)


run = runner(readiness.command)


def test_json_names_every_endpoint_with_its_verdict_and_reasons(filled: str) -> None:
    code, out = run("readiness", "--db", filled, "--until", "end", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert set(report) >= {"window", "endpoints"}
    assert report["window"]["until"].startswith("2024-06-01T12:01")
    assert report["window"]["since"].startswith("2024-05-25T12:01")
    by_name = {e["endpoint"]: e for e in report["endpoints"]}
    assert set(by_name) == set(DATASET)
    for entry in by_name.values():
        assert set(entry) >= {
            "endpoint", "verdict", "reasons", "requests", "match_rate", "lower_bound", "target",
            "latency_ms",
        }  # fmt: skip
        assert entry["verdict"] == "not_ready" and entry["reasons"]  # a handful of requests
        assert entry["target"] == 0.999
    cart = by_name["query GetCart"]
    assert cart["requests"] == 4 and cart["match_rate"] == 1.0
    assert cart["latency_ms"]["primary"]["p50"] == pytest.approx(12.5, rel=0.05)
    orders = by_name["POST /orders"]
    assert orders["requests"] == 9 and orders["match_rate"] == pytest.approx(2 / 8)


def test_a_window_with_no_traffic_says_so(filled: str) -> None:
    code, out = run("readiness", "--db", filled, "--window", "1d")  # until now: long after
    assert code == 0 and "no traffic in the window" in out


def test_text_output_names_the_verdict_and_the_coverage_gap(filled: str) -> None:
    code, out = run("readiness", "--db", filled, "--until", "end", "--endpoint", "query GetCart")
    assert code == 0, out
    assert "query GetCart: NOT READY" in out and "more requests needed" in out
    assert "POST /orders" not in out and "coverage of request shapes is not judged" in out


def test_targets_come_from_the_rules_file_or_the_flag(filled: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text('readiness:\n  endpoints:\n    "query *": {target: 0.5, quiet_hours: 0}\n')
    code, out = run("readiness", "--db", filled, "--until", "end", "--json", "--rules", str(rules))
    assert code == 0, out
    targets = {e["endpoint"]: e["target"] for e in json.loads(out)["endpoints"]}
    assert targets == {"GET /users/{id}": 0.999, "POST /orders": 0.999, "query GetCart": 0.5}
    code, out = run("readiness", "--db", filled, "--until", "end", "--json", "--target", "0.9")
    assert {e["target"] for e in json.loads(out)["endpoints"]} == {0.9}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "forever"], "'forever' is not a duration"),
        (["--until", "yesterday-ish"], "--until"),
    ],
)
def test_bad_windows_are_usage_errors(filled: str, args: list[str], message: str) -> None:
    code, out = run("readiness", "--db", filled, *args)
    assert code == 2 and message in out


def test_a_bad_readiness_section_names_the_file_and_key(filled: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("readiness:\n  default: {target: 2}\n")
    code, out = run("readiness", "--db", filled, "--rules", str(rules))
    assert code == 1 and "rules.yaml" in out and "target must be" in out
