"""`shadowdiff noise` over a SQLite store of generated traffic: JSON, YAML and text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import storage
from comparator import RuleSet, load_rules, parse_rules
from shadowdiff.commands import noise
from streams.synthetic.profiles import Profile, profiled
from tests.readiness_ground_truth import judge_store
from tests.unit.storage.cli import filled_store, runner

run = runner(noise.command)


@pytest.fixture
def noisy(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'noisy.sqlite'}"
    engine = storage.connect(db)
    storage.upgrade(engine)
    traffic = profiled(
        [
            Profile("GET /n", 200, volatile=("uuid", "float"), bugs=("off_by_one",)),
            Profile("GET /quiet", 50),
        ],
        seed=3,
    )
    judge_store(engine, traffic, RuleSet.default())
    engine.dispose()
    return db


def test_json_gives_suggestions_with_evidence_and_a_rules_file(noisy: str) -> None:
    code, out = run("noise", "--db", noisy, "--until", "end", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert set(report) >= {"suggestions", "yaml"}
    by_path = {s["path"]: s for s in report["suggestions"]}
    assert set(by_path) == {"/trace_id", "/score"}  # /quantity is off by one: a bug
    trace = by_path["/trace_id"]
    assert set(trace) >= {"endpoint", "path", "class", "rule", "share", "distinct", "examples"}
    assert trace["endpoint"] == "GET /n" and trace["class"] == "uuid"
    assert trace["rule"] == {"normalise": "uuid"} and trace["share"] == 1.0
    assert trace["distinct"] == {"primary": 200, "candidate": 200}
    assert len(trace["examples"]) == 3
    rules = parse_rules(report["yaml"])
    assert rules.endpoints[0][0] == "GET /n"
    assert {r.path for r in rules.endpoints[0][1].paths} == {"/trace_id", "/score"}


def test_text_shows_evidence_then_yaml_and_the_sample_bounds_the_read(
    noisy: str, tmp_path: Path
) -> None:
    written = tmp_path / "suggested.yaml"
    code, out = run("noise", "--db", noisy, "--until", "end", "--endpoint", "GET /n", "--out",
                    str(written))  # fmt: skip
    assert code == 0, out
    assert written.read_text() in out and load_rules(written).endpoints[0][0] == "GET /n"
    assert "GET /n  /trace_id  [uuid]  differs on 100% of 200 pairs" in out
    assert "e.g. " in out and '"/score": {"tolerance": {"relative": ' in out
    code, out = run("noise", "--db", noisy, "--until", "end", "--sample", "5", "--json")
    assert json.loads(out)["suggestions"] == []  # five pairs are too few to call anything noise


def test_no_noise_says_so_and_the_yaml_still_loads(tmp_path: Path) -> None:
    db = filled_store(tmp_path)
    code, out = run("noise", "--db", db, "--until", "end")
    assert code == 0 and "no noise found" in out
    code, out = run("noise", "--db", db, "--until", "end", "--json")
    assert parse_rules(json.loads(out)["yaml"]).endpoints == ()
