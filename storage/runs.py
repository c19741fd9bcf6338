"""The runs a store holds: the live stream and each reprocessing, with their spans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from storage.engine import guard
from storage.models import endpoint_minutes, runs


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One run; `first_minute`/`end` bound its stored traffic (None: none stored)."""

    run_id: str
    kind: str
    rules_version: str
    created_at: datetime
    note: str | None
    source_from: datetime | None
    source_until: datetime | None
    first_minute: datetime | None
    end: datetime | None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "run": self.run_id,
            "kind": self.kind,
            "rules_version": self.rules_version,
            "created_at": self.created_at.isoformat(),
            "note": self.note,
            "source_from": iso(self.source_from),
            "source_until": iso(self.source_until),
            "traffic_since": iso(self.first_minute),
            "traffic_until": iso(self.end),
        }


def list_runs(
    engine: Engine,
    *,
    run_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[RunInfo, ...]:
    """Runs created in [since, until) (all without bounds), newest first.

    `run_id` narrows the list to that run. The traffic span of each comes from
    the minute rollups: the first stored minute and the end of the last.
    """
    em = endpoint_minutes
    spans = (
        select(
            em.c.run_id,
            func.min(em.c.minute).label("first"),
            func.max(em.c.minute).label("last"),
        )
        .group_by(em.c.run_id)
        .subquery()
    )
    r = runs.c
    query = select(runs, spans.c.first, spans.c["last"]).outerjoin(spans, spans.c.run_id == r.id)
    if run_id is not None:
        query = query.where(r.id == run_id)
    if since is not None:
        query = query.where(r.created_at >= since)
    if until is not None:
        query = query.where(r.created_at < until)
    query = query.order_by(r.created_at.desc(), r.id)
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return tuple(
        RunInfo(
            run_id=row["id"],
            kind=row["kind"],
            rules_version=row["rules_version"],
            created_at=row["created_at"],
            note=row["note"],
            source_from=row["source_from"],
            source_until=row["source_until"],
            first_minute=row["first"],
            end=row["last"] + timedelta(minutes=1) if row["last"] is not None else None,
        )
        for row in rows
    )
