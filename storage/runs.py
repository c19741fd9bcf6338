"""Runs as a whole: list them, move their state, delete one with all its rows.

The live stream is the run `live`; every reprocessing is a run of its own, and
everything stored belongs to exactly one run. Deleting a run removes its rows
from every table in `storage.models.RUN_SCOPED_TABLES`, then the run itself: a
table that gains a `run_id` joins that tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, update

from storage.engine import guard
from storage.models import RUN_SCOPED_TABLES, RunKind, RunState, endpoint_minutes, runs


class UnknownRun(LookupError):
    """No run of that name is stored."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run named {run_id!r}: `shadowdiff runs` lists the stored runs")
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run and how many requests it judged (`total`)."""

    id: str
    kind: RunKind
    rules_version: str
    created_at: datetime
    note: str | None
    source_from: datetime | None
    source_until: datetime | None
    state: RunState
    total: int
    first_minute: datetime | None = None
    """The first stored minute of the run's traffic (None: nothing stored)."""
    end: datetime | None = None
    """The end of its last stored minute."""

    @property
    def run_id(self) -> str:
        return self.id

    def to_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "id": self.id,
            "run": self.id,
            "kind": self.kind,
            "rules_version": self.rules_version,
            "source_from": iso(self.source_from),
            "source_until": iso(self.source_until),
            "total": self.total,
            "state": self.state,
            "created_at": iso(self.created_at),
            "note": self.note,
            "traffic_since": iso(self.first_minute),
            "traffic_until": iso(self.end),
        }


def list_runs(
    engine: Engine,
    run_id: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RunSummary]:
    """Every stored run (or only `run_id`) created in [since, until), oldest first.

    Each with its requests and the span of its stored traffic, from the minute
    rollups: as cheap at ten million requests as at ten, and still counted
    after retention pruned the raw rows.
    """
    em = endpoint_minutes
    stored = select(
        em.c.run_id,
        func.sum(em.c.total).label("total"),
        func.min(em.c.minute).label("first"),
        func.max(em.c.minute).label("last"),
    )
    query = select(runs)
    if run_id is not None:
        stored = stored.where(em.c.run_id == run_id)
        query = query.where(runs.c.id == run_id)
    if since is not None:
        query = query.where(runs.c.created_at >= since)
    if until is not None:
        query = query.where(runs.c.created_at < until)
    counted = stored.group_by(em.c.run_id).subquery()
    query = (
        query.add_columns(
            func.coalesce(counted.c.total, 0).label("total"),
            counted.c.first,
            counted.c["last"],
        )
        .select_from(runs.outerjoin(counted, counted.c.run_id == runs.c.id))
        .order_by(runs.c.created_at, runs.c.id)
    )
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        RunSummary(
            id=row["id"],
            kind=row["kind"],
            rules_version=row["rules_version"],
            created_at=row["created_at"],
            note=row["note"],
            source_from=row["source_from"],
            source_until=row["source_until"],
            state=row["state"],
            total=int(row["total"]),
            first_minute=row["first"],
            end=row["last"] + timedelta(minutes=1) if row["last"] is not None else None,
        )
        for row in rows
    ]


def get_run(engine: Engine, run_id: str) -> RunSummary | None:
    """The run named `run_id`, or None."""
    found = list_runs(engine, run_id)
    return found[0] if found else None


def set_state(engine: Engine, run_id: str, state: RunState) -> None:
    """Record that `run_id` is running, was interrupted, or is complete."""
    with guard(engine), engine.begin() as connection:
        done = connection.execute(update(runs).where(runs.c.id == run_id).values(state=state))
    if done.rowcount == 0:
        raise UnknownRun(run_id)


def delete_run(engine: Engine, run_id: str) -> dict[str, int]:
    """Delete `run_id` and its rows in every run-scoped table, in one transaction.

    Returns how many rows each table lost (`runs` included). Raises `UnknownRun`.
    """
    deleted: dict[str, int] = {}
    with guard(engine), engine.begin() as connection:
        for table in RUN_SCOPED_TABLES:
            result = connection.execute(delete(table).where(table.c.run_id == run_id))
            deleted[table.name] = result.rowcount
        result = connection.execute(delete(runs).where(runs.c.id == run_id))
        if result.rowcount == 0:
            raise UnknownRun(run_id)
        deleted[runs.name] = result.rowcount
    return deleted
