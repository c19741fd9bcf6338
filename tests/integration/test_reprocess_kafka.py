"""`shadowdiff reprocess --source kafka` on real Kafka and PostgreSQL: exact, bounded, resumable."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import storage
from comparator import RuleSet
from shadowdiff.cli import main
from streams.synthetic import generate
from streams.topics import ensure_topics
from tests.integration.worker_harness import publish
from tests.replay_support import live_run, run_rows

pytestmark = pytest.mark.integration

PARTITIONS = 4


@pytest.fixture
def stream(
    kafka_bootstrap: str, topic_prefix: str, fresh_database: str
) -> tuple[str, str, datetime, int]:
    """Old traffic, then (past the grace period) the traffic of the run's range.

    The live run judged the second part; returns (topic, database, range start,
    records in range).
    """
    topic = f"{topic_prefix}.exchanges"
    asyncio.run(ensure_topics([kafka_bootstrap], {topic: PARTITIONS}))
    old = generate(400, seed=1, start=datetime.now(UTC) - timedelta(minutes=30)).exchanges
    asyncio.run(publish(kafka_bootstrap, topic, old))
    time.sleep(31)  # the default grace period: the range's first offsets come after `old`
    start = datetime.now(UTC)
    recent = generate(12_000, seed=2, start=start).exchanges
    asyncio.run(publish(kafka_bootstrap, topic, recent))
    live_run(fresh_database, recent, RuleSet.default())
    return topic, fresh_database, start, len(recent)


def _args(bootstrap: str, topic: str, db: str, start: datetime, run: str) -> list[str]:
    end = start + timedelta(hours=2)
    return [
        "reprocess", "--source", "kafka", "--from", start.isoformat(), "--to", end.isoformat(),
        "--bootstrap", bootstrap, "--topic", topic, "--db", db, "--run", run, "--workers", "2",
    ]  # fmt: skip


def test_the_live_rules_reprocessed_from_kafka_change_nothing(
    kafka_bootstrap: str, stream: tuple[str, str, datetime, int]
) -> None:
    topic, db, start, in_range = stream
    outcome = CliRunner().invoke(main, _args(kafka_bootstrap, topic, db, start, "same"))
    assert outcome.exit_code == 0, outcome.output
    # The range's offsets hold the recent traffic alone: the old lies before them. (A
    # partition that moves while the second process joins is read again, in part.)
    assert f"/{in_range:,} records" in outcome.output, outcome.output
    assert run_rows(db, "same") == run_rows(db, "live")
    shown = CliRunner().invoke(main, ["runs", "diff", "live", "same", "--json", "--db", db])
    diff = json.loads(shown.output)
    assert diff["flips"]["match_to_mismatch"] == diff["flips"]["mismatch_to_match"] == 0
    assert diff["signatures"]["resolved"] == diff["signatures"]["new"] == []
    assert all(s["count_a"] == s["count_b"] for s in diff["signatures"]["both"])
    listed = CliRunner().invoke(main, ["runs", "--json", "--db", db])
    run = next(r for r in json.loads(listed.output)["runs"] if r["id"] == "same")
    assert (run["state"], run["kind"]) == ("complete", "reprocess")
    assert run["source_from"] == start.isoformat()


def test_a_reprocess_killed_halfway_and_started_again_stores_each_request_once(
    kafka_bootstrap: str, stream: tuple[str, str, datetime, int], tmp_path: Path
) -> None:
    topic, db, start, _ = stream
    live = run_rows(db, "live")
    command = [sys.executable, "-m", "shadowdiff", *_args(kafka_bootstrap, topic, db, start, "k")]
    log = tmp_path / "reprocess.log"
    engine = storage.connect(db)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    stored = 0
    while stored < len(live) // 5:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
        stored = len(run_rows(db, "k"))
    os.killpg(process.pid, signal.SIGKILL)  # the command and its worker processes
    process.wait(30)
    halfway = len(run_rows(db, "k"))
    assert 0 < halfway < len(live), "the kill came too late to interrupt anything"

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(complete)" in again.stdout
    assert run_rows(db, "k") == live
    engine.dispose()
