"""`shadowdiff reprocess` and `shadowdiff runs` as a user types them, on the sample data."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import fsspec
import pytest
from click.testing import CliRunner

from shadowdiff.cli import main
from shadowdiff.commands.demo import sample_capture
from streams.capture import read_capture

SAMPLE_RULES = sample_capture().with_name("rules.yaml")
REQUESTS = len({e.request_id for e in read_capture(sample_capture())})


def run(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, list(args))
    return outcome.exit_code, outcome.output


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    code, out = run("demo", "--db", url)
    assert code == 0, out
    return url


def test_reprocess_with_the_sample_rules_resolves_the_attempt_noise(demo_db: str) -> None:
    capture = str(sample_capture())
    code, out = run(
        "reprocess", "--source", capture, "--rules", str(SAMPLE_RULES), "--run", "fixed",
        "--db", demo_db,
    )  # fmt: skip
    assert code == 0, out
    assert "run 'fixed' (complete)" in out and f"{REQUESTS} in the run" in out
    assert "records (100%)" in out  # the progress line, printed once off a terminal

    code, out = run("runs", "--json", "--db", demo_db)
    assert code == 0, out
    listed = {r["id"]: r for r in json.loads(out)["runs"]}
    assert set(listed) == {"live", "fixed"}
    assert listed["fixed"]["kind"] == "reprocess"
    assert listed["fixed"]["state"] == "complete"
    assert listed["fixed"]["total"] == listed["live"]["total"] == REQUESTS
    assert set(listed["fixed"]) >= {
        "id", "kind", "rules_version", "source_from", "source_until", "total", "state",
    }  # fmt: skip

    code, out = run("runs", "diff", "live", "fixed", "--json", "--db", demo_db)
    assert code == 0, out
    diff = json.loads(out)
    assert (diff["a"], diff["b"]) == ("live", "fixed")
    attempt = next(e for e in diff["endpoints"] if e["endpoint"] == "POST /exercises/{id}/attempt")
    assert attempt["a"]["mismatches"] > 0 and attempt["b"]["mismatches"] == 0
    resolved = diff["signatures"]["resolved"]
    assert [s["endpoint"] for s in resolved] == ["POST /exercises/{id}/attempt"]
    assert "/attempt_id" in resolved[0]["summary"]
    assert diff["signatures"]["new"] == []
    assert diff["flips"]["match_to_mismatch"] == 0
    assert diff["flips"]["mismatch_to_match"] == attempt["a"]["mismatches"]
    assert all(f["b"] == "match" for f in diff["flips"]["examples"])

    code, out = run("mismatches", "--run", "fixed", "--json", "--db", demo_db)
    assert code == 0 and json.loads(out)["run"] == "fixed"

    code, out = run("runs", "diff", "live", "fixed", "--db", demo_db)
    assert code == 0 and "mismatch → match" in out

    code, out = run(
        "reprocess", "--source", capture, "--rules", str(SAMPLE_RULES), "--run", "fixed",
        "--db", demo_db,
    )  # fmt: skip
    assert code == 0 and "already complete" in out

    code, out = run("runs", "delete", "fixed", "--db", demo_db)
    assert code == 0 and f"{REQUESTS} comparisons" in out, out
    code, out = run("runs", "--json", "--db", demo_db)
    assert [r["id"] for r in json.loads(out)["runs"]] == ["live"]


def test_bad_input_says_what_to_do(demo_db: str, tmp_path: Path) -> None:
    code, out = run("reprocess", "--source", str(tmp_path / "nothing"), "--db", demo_db)
    assert code == 1 and "no capture or archive directory" in out
    (tmp_path / "empty").mkdir()
    code, out = run("reprocess", "--source", str(tmp_path / "empty"), "--db", demo_db)
    assert code == 1 and "shadowdiff archive --to DIR" in out
    capture = str(sample_capture())
    code, out = run(
        "reprocess", "--source", capture, "--from", "2025-01-02", "--to", "2025-01-01",
        "--db", demo_db,
    )  # fmt: skip
    assert code == 2 and "before it starts" in out
    code, out = run("reprocess", "--source", capture, "--run", "live", "--db", demo_db)
    assert code == 1 and "is the live run" in out
    code, out = run("runs", "diff", "live", "nope", "--db", demo_db)
    assert code == 1 and "no run named 'nope'" in out
    code, out = run("runs", "delete", "nope", "--db", demo_db)
    assert code == 1 and "no run named 'nope'" in out
    code, out = run("reprocess", "--source", "nosuch://bucket/archive", "--db", demo_db)
    assert code == 1 and "nosuch" in out and "s3://" in out, out
    code, out = run("archive", "--to", "nosuch://bucket/archive")
    assert code == 2 and "nosuch" in out and "--to" in out, out


def test_reprocess_reads_a_capture_on_an_fsspec_filesystem(demo_db: str) -> None:
    url = f"memory://reprocess-{uuid.uuid4().hex}/traffic.avro"
    fs, path = fsspec.core.url_to_fs(url)
    fs.pipe_file(path, sample_capture().read_bytes())
    code, out = run(
        "reprocess", "--source", url, "--rules", str(SAMPLE_RULES), "--run", "remote",
        "--db", demo_db,
    )  # fmt: skip
    assert code == 0, out
    assert "run 'remote' (complete)" in out and f"{REQUESTS} in the run" in out
    fs.rm_file(path)
