"""Runs in the store: listed with their totals and states, deleted from every run-scoped table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

import storage
from storage import compaction
from storage.alert_store import StoredAlert, save_alerts
from storage.checkpoints import Checkpoint, load_checkpoints, save_checkpoint
from storage.runs import RUN_SCOPED_TABLES, UnknownRun, delete_run, get_run, list_runs, set_state
from tests.storage_contract import count_rows, dataset, make_result

T = datetime(2025, 1, 6, 9, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = storage.connect(f"sqlite:///{tmp_path / 'runs.db'}")
    storage.upgrade(engine)
    storage.ResultWriter(engine, rules_version="v1").write(dataset())
    other = storage.ResultWriter(
        engine, "other", "v2", kind="reprocess", note="why", source_from=T, source_until=T
    )
    # r2 had a secondary that differed where the candidate did.
    other.write([make_result("r1"), replace(make_result("r2"), secondary_paths=("/name",))])
    save_checkpoint(engine, "other", Checkpoint("capture:x", "x.jsonl", 5, T, False))
    compaction.compact(engine, "other")
    alert = StoredAlert("a1", "", "spike", "GET /users/{id}", "firing", T, T, T, None, {"id": "a1"})
    save_alerts(engine, "other", [alert], T)
    return engine


def test_runs_are_listed_with_totals_and_states(engine: sa.Engine) -> None:
    found = {run.id: run for run in list_runs(engine)}
    assert set(found) == {"live", "other"}
    assert found["live"].total == len(dataset()) and found["other"].total == 2
    assert (found["other"].kind, found["other"].rules_version, found["other"].note) == (
        "reprocess", "v2", "why",
    )  # fmt: skip
    assert found["other"].to_json()["source_from"] == T.isoformat()
    assert found["other"].state == "running"
    set_state(engine, "other", "complete")
    assert get_run(engine, "other") == replace(found["other"], state="complete")
    with pytest.raises(UnknownRun):
        set_state(engine, "nope", "complete")


def test_checkpoints_are_saved_and_replaced(engine: sa.Engine) -> None:
    assert load_checkpoints(engine, "other") == {
        "capture:x": Checkpoint("capture:x", "x.jsonl", 5, T, False)
    }
    save_checkpoint(engine, "other", Checkpoint("capture:x", "x.jsonl", 9, None, True))
    assert load_checkpoints(engine, "other")["capture:x"].record == 9
    assert load_checkpoints(engine, "live") == {}


def test_deleting_a_run_empties_every_run_scoped_table_of_it_alone(engine: sa.Engine) -> None:
    def rows(run_id: str) -> dict[str, int]:
        with engine.connect() as connection:
            return {
                t.name: connection.execute(
                    sa.select(sa.func.count()).select_from(t).where(t.c.run_id == run_id)
                ).scalar_one()
                for t in RUN_SCOPED_TABLES
            }

    before_live = rows("live")
    assert all(rows("other").values())  # the test data reaches every table
    deleted = delete_run(engine, "other")
    assert deleted == {
        "differences": 2,
        "comparisons": 2,
        "signatures": 1,
        "endpoint_minutes": 1,
        "signature_minutes": 1,
        "signature_hours": 1,
        "latency_spans": 1,
        "alerts": 1,
        "run_checkpoints": 1,
        "secondary_comparisons": 1,
        "secondary_minutes": 1,
        "secondary_paths": 1,
        "runs": 1,
    }
    assert not any(rows("other").values())
    assert rows("live") == before_live
    assert [run.id for run in list_runs(engine)] == ["live"]
    assert count_rows(engine, "runs") == 1
    with pytest.raises(UnknownRun):
        delete_run(engine, "other")
