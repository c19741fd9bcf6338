"""Retention: raw rows go after a month or so, the rollups much later.

Raw rows (comparisons, differences) are what examples and `show` read; the
rollups are what every count reads, and they are small, so they are kept
longer. Both are cut at the start of a UTC day: on PostgreSQL whole day
partitions are dropped (no row-by-row delete, no bloat), on SQLite rows are
deleted. What was cut is recorded in `pruned`, so a query over that time says
the data is gone instead of reporting no traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Engine, delete, func, select

from storage import partitions
from storage.compaction import span_of
from storage.engine import guard
from storage.models import (
    PrunedData,
    comparisons,
    differences,
    endpoint_minutes,
    latency_spans,
    pruned,
    secondary_comparisons,
    secondary_minutes,
    secondary_paths,
    signature_hours,
    signature_minutes,
)
from storage.writer_sql import insert


@dataclass(frozen=True, slots=True)
class Pruning:
    """What one prune removed (or, dry, would remove)."""

    dry_run: bool
    raw_before: datetime | None
    raw_days: tuple[date, ...]
    """Day partitions dropped (PostgreSQL)."""
    raw_rows: int | None
    """Rows deleted (SQLite; None where whole partitions go uncounted)."""
    rollups_before: datetime | None
    rollup_rows: int


def cutoff(now: datetime, older_than: timedelta) -> datetime:
    """The start of the UTC day that holds `now - older_than`: the first instant kept."""
    day = (now - older_than).astimezone(UTC).date()
    return datetime.combine(day, time(), tzinfo=UTC)


def prune(
    engine: Engine,
    *,
    now: datetime,
    raw_older_than: timedelta | None,
    rollups_older_than: timedelta | None,
    dry_run: bool = False,
) -> Pruning:
    """Remove raw rows and rollups older than the given ages (None: keep them)."""
    raw_before = cutoff(now, raw_older_than) if raw_older_than is not None else None
    rollups_before = cutoff(now, rollups_older_than) if rollups_older_than is not None else None
    days: tuple[date, ...] = ()
    raw_rows: int | None = None
    rollup_rows = 0
    with guard(engine), engine.begin() as connection:
        if raw_before is not None:
            old_secondary = secondary_comparisons.c.observed_at < raw_before
            if not dry_run:  # not partitioned: deleted by time on every database
                connection.execute(delete(secondary_comparisons).where(old_secondary))
            if connection.dialect.name == "postgresql":
                days = tuple(partitions.drop_before(connection, raw_before.date(), dry_run=dry_run))
            else:
                raw_rows = _delete_before(connection, raw_before, dry_run)
            if not dry_run:
                _record(connection, "raw", raw_before)
        if rollups_before is not None:
            # Cuts fall on day starts, so no compacted span straddles one.
            for table, old in (
                (endpoint_minutes, endpoint_minutes.c.minute < rollups_before),
                (signature_minutes, signature_minutes.c.minute < rollups_before),
                (signature_hours, signature_hours.c.hour < rollups_before),
                (secondary_minutes, secondary_minutes.c.minute < rollups_before),
                (secondary_paths, secondary_paths.c.minute < rollups_before),
                (latency_spans, latency_spans.c.span < span_of(rollups_before)),
            ):
                if dry_run:
                    count = select(func.count()).select_from(table).where(old)
                    rollup_rows += connection.execute(count).scalar_one()
                else:
                    rollup_rows += connection.execute(delete(table).where(old)).rowcount
            if not dry_run:
                _record(connection, "rollups", rollups_before)
    return Pruning(dry_run, raw_before, days, raw_rows, rollups_before, rollup_rows)


def _delete_before(connection: Connection, before: datetime, dry_run: bool) -> int:
    old = comparisons.c.observed_at < before
    if dry_run:
        return int(
            connection.execute(
                select(func.count()).select_from(comparisons).where(old)
            ).scalar_one()
        )
    connection.execute(delete(differences).where(differences.c.observed_at < before))
    return int(connection.execute(delete(comparisons).where(old)).rowcount)


def _record(connection: Connection, data: PrunedData, before: datetime) -> None:
    """Remember the cut. The mark only moves forward: what an earlier cut removed stays gone."""
    known = connection.execute(select(pruned.c.before).where(pruned.c.data == data)).scalar()
    if known is not None and known >= before:
        return
    statement = insert(connection, pruned).values(data=data, before=before)
    connection.execute(
        statement.on_conflict_do_update(index_elements=["data"], set_={"before": before})
    )
