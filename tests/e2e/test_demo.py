"""The main job, as a user runs it: `shadowdiff demo`, then queries against its database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comparator import RuleSet, load_rules
from shadowdiff.recorded import shift_to
from storage.redaction import Redactor
from streams.capture import read_capture, write_capture
from streams.synthetic import DEFAULT_START
from tests.samples import DEMO_TRAFFIC, SMALL_CAPTURE, SPIKE, demo_traffic

REPO = Path(__file__).resolve().parents[2]
SAMPLE = DEMO_TRAFFIC
SAMPLE_RULES = REPO / "streams" / "samples" / "rules.yaml"


# Settings of the developer's own shell that would change what the demo does.
_CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"RULES_FILE", "SHADOWDIFF_REDACTION_KEY", "DATABASE_URL", "GRACE_PERIOD_S"}
}


def shadowdiff(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shadowdiff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_CLEAN_ENV, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workdir = tmp_path_factory.mktemp("demo")
    before = datetime.now(UTC)
    output = shadowdiff("demo", cwd=workdir)
    # The sample was moved to end at the run's minute, so one of these is its shift.
    _SHIFTS.update({shift_to(before), shift_to(datetime.now(UTC))})
    return workdir, output


_SHIFTS: set[timedelta] = set()


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
    # The sample is made by a documented command (tests/samples.py): its truth is known.
    truth = demo_traffic().truth
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
        for f in demo_traffic().truth.values()
        if f.endpoint == attempt["endpoint"] and f.expected == "mismatch" and not f.volatile
    ]
    assert attempt["mismatches"] == len(real)


def test_redacted_paths_are_stored_as_hashes_under_the_configured_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        'endpoints:\n  "POST /exercises/{id}/attempt":\n    paths:\n'
        "      /attempt_id: {redact: true}\n"
    )
    db = "sqlite:///redacted.sqlite"
    key = {"SHADOWDIFF_REDACTION_KEY": "test-key"}
    shadowdiff("demo", "--rules", str(rules), "--db", db, cwd=tmp_path, env=key)
    report = json.loads(shadowdiff("mismatches", "--json", "--db", db, cwd=tmp_path))
    attempt = next(
        r for r in report["endpoints"] if r["endpoint"] == "POST /exercises/{id}/attempt"
    )
    assert "/attempt_id" in {p["path"] for p in attempt["top_paths"]}
    shown_all = [
        json.loads(shadowdiff("show", example, "--json", "--db", db, cwd=tmp_path))
        for example in attempt["examples"]
    ]
    shown, stored = next(
        (s, d) for s in shown_all for d in s["differences"] if d["path"] == "/attempt_id"
    )
    primary = next(
        e
        for e in read_capture(SAMPLE)
        if e.request_id == shown["request_id"] and e.side == "primary"
    )
    original = json.loads(primary.response_body)["attempt_id"]
    assert stored["primary"] == Redactor(b"test-key").marker(original)
    # No attempt ID of either side is stored in clear, at any path.
    with sqlite3.connect(tmp_path / "redacted.sqlite") as connection:
        rows = connection.execute("SELECT path, primary_value, candidate_value FROM differences")
        stored_text = "\n".join(" ".join(map(str, row)) for row in rows)
    secrets = {
        json.loads(e.response_body)["attempt_id"]
        for e in read_capture(SAMPLE)
        if b'"attempt_id"' in e.response_body
    }
    assert secrets
    assert not [s for s in secrets if s in stored_text]


def test_demo_takes_its_rules_from_rules_file_when_no_flag_says(tmp_path: Path) -> None:
    output = shadowdiff(
        "demo",
        "--db",
        "sqlite:///env-rules.sqlite",
        cwd=tmp_path,
        env={"RULES_FILE": str(SAMPLE_RULES)},
    )
    version = load_rules(SAMPLE_RULES).version
    assert version != RuleSet.default().version  # else the test could not tell
    assert f"(rules {version})" in output


def test_demo_judges_an_avro_capture(tmp_path: Path) -> None:
    capture = tmp_path / "sample.avro"
    write_capture(capture, read_capture(SMALL_CAPTURE))
    output = shadowdiff(
        "demo", "--capture", str(capture), "--db", "sqlite:///avro.sqlite", cwd=tmp_path
    )
    requests = {e.request_id for e in read_capture(SMALL_CAPTURE)}
    assert f"{len(requests)} results stored" in output


def test_a_second_demo_into_one_database_says_it_kept_the_first_results(tmp_path: Path) -> None:
    shadowdiff("demo", "--db", "sqlite:///twice.sqlite", cwd=tmp_path)
    again = shadowdiff("demo", "--db", "sqlite:///twice.sqlite", cwd=tmp_path)
    assert "0 results stored" in again
    assert "already had a result in this database" in again


def test_demo_ends_with_the_spike_alert_the_sample_holds(demo: tuple[Path, str]) -> None:
    workdir, output = demo
    alerts_part = output[output.index("alerts (") :]
    assert "spike on GET /courses" in alerts_part
    listed = json.loads(
        shadowdiff("alerts", "--json", "--db", "sqlite:///shadowdiff-demo.sqlite", cwd=workdir)
    )
    spikes = [a for a in listed["alerts"] if a["rule"] == "spike"]
    assert [a["endpoint"] for a in spikes] == [SPIKE.endpoint]
    (spike,) = spikes
    assert set(spike) >= {
        "id",
        "rule",
        "endpoint",
        "state",
        "window_start",
        "window_end",
        "opened_at",
        "resolved_at",
        "observed",
        "baseline",
        "examples",
    }
    opened = datetime.fromisoformat(spike["opened_at"])
    # Alerted within one window (5 minutes) of the spike's start, in event time.
    assert any(
        began < opened <= began + timedelta(minutes=5)
        for began in (DEFAULT_START + shift + SPIKE.after for shift in _SHIFTS)
    )
    assert spike["observed"]["rate"] > 2 * spike["baseline"]["rate"]
    assert spike["state"] == "resolved"  # the sample goes on for 15 minutes after it


def test_demo_ends_with_the_command_that_serves_the_dashboard(demo: tuple[Path, str]) -> None:
    workdir, output = demo
    last = output.rstrip().splitlines()
    # Run as `python -m shadowdiff`, so that is what the hint says to run.
    assert (
        last[-1].strip()
        == f"{sys.executable} -m shadowdiff serve --db sqlite:///shadowdiff-demo.sqlite"
    )
    assert "SHADOWDIFF_API_TOKENS" in last[-2] and "http://127.0.0.1:8000/" in last[-3]
    assert (workdir / "shadowdiff-demo.sqlite").exists()
