"""The main job, as a user runs it: `shadowdiff demo`, then queries against its database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from streams.capture import read_capture
from streams.synthetic import generate

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "streams" / "samples" / "capture.jsonl"
SAMPLE_RULES = REPO / "streams" / "samples" / "rules.yaml"


def shadowdiff(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shadowdiff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workdir = tmp_path_factory.mktemp("demo")
    return workdir, shadowdiff("demo", cwd=workdir)


def test_demo_prints_a_report_of_every_endpoint_in_the_sample(demo: tuple[Path, str]) -> None:
    _, output = demo
    endpoints = {e.endpoint for e in read_capture(SAMPLE)}
    request_ids = {e.request_id for e in read_capture(SAMPLE)}
    assert f"{len(request_ids)} results stored" in output
    for endpoint in endpoints:
        assert endpoint in output


def test_mismatches_json_agrees_with_the_sample_truth(demo: tuple[Path, str]) -> None:
    workdir, _ = demo
    report = json.loads(
        shadowdiff("mismatches", "--json", "--db", "sqlite:///shadowdiff-demo.sqlite", cwd=workdir)
    )
    # The sample is `python -m streams.synthetic --pairs 300 --seed 7`: its truth is known.
    truth = generate(300, seed=7).truth
    expected = Counter((fate.endpoint, fate.expected) for fate in truth.values())
    for row in report["endpoints"]:
        for verdict, count in row["verdicts"].items():
            assert expected[(row["endpoint"], verdict)] == count, (row["endpoint"], verdict)
        assert row["total"] == sum(n for (e, _), n in expected.items() if e == row["endpoint"])
    assert sum(row["total"] for row in report["endpoints"]) == len(truth)


def test_show_prints_one_stored_comparison(demo: tuple[Path, str]) -> None:
    workdir, _ = demo
    report = json.loads(
        shadowdiff("mismatches", "--json", "--db", "sqlite:///shadowdiff-demo.sqlite", cwd=workdir)
    )
    example = next(r["examples"][0] for r in report["endpoints"] if r["examples"])
    shown = json.loads(
        shadowdiff(
            "show", example, "--json", "--db", "sqlite:///shadowdiff-demo.sqlite", cwd=workdir
        )
    )
    assert shown["request_id"] == example
    assert shown["verdict"] != "match"


def test_rules_quiet_the_volatile_fields_of_the_sample(tmp_path: Path) -> None:
    db = "sqlite:///ruled.sqlite"
    shadowdiff("demo", "--rules", str(SAMPLE_RULES), "--db", db, cwd=tmp_path)
    report = json.loads(shadowdiff("mismatches", "--json", "--db", db, cwd=tmp_path))
    attempt = next(
        r for r in report["endpoints"] if r["endpoint"] == "POST /exercises/{id}/attempt"
    )
    volatile_paths = {p["path"] for p in attempt["top_paths"]}
    assert not volatile_paths & {"/attempt_id", "/submitted_at"}
    real = [
        f
        for f in generate(300, seed=7).truth.values()
        if f.endpoint == attempt["endpoint"] and f.expected == "mismatch" and not f.volatile
    ]
    assert attempt["mismatches"] == len(real)
