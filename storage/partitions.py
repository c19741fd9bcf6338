"""Daily partitions of the raw rows on PostgreSQL.

`comparisons` and `differences` are range-partitioned by `observed_at`, one
partition per UTC day (`comparisons_p20250106`), plus a default partition
that takes a row no day partition covers, so an unexpected timestamp is
stored rather than refused. Retention then drops whole days, and a query over
a window reads only its days.

Partitions are created ahead of the rows: the writer asks for the days of each
batch it has not seen before (`Partitions.ensure`), which creates those days
and the day after. A day created after rows for it went to the default
partition takes them over (they are moved in the same transaction). Creating
partitions takes a lock on the parent table, so it runs in its own short
transaction, serialised across writers by an advisory lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Engine, text

PARTITIONED = ("comparisons", "differences")
"""The tables partitioned by day, in the order their partitions are made."""

_LOCK_KEY = 0x5D1FF_0001
"""The advisory lock that serialises partition changes across writers."""

_SPAN_DAYS = 7
"""A batch spanning at most this many days gets every day between its ends."""

_NAME = re.compile(r"^(comparisons|differences)_p(\d{8})$")


def is_partition(name: str) -> bool:
    """True for the name of a day or default partition (not part of the declared schema)."""
    return bool(_NAME.match(name)) or name in {default_name(t) for t in PARTITIONED}


def partition_name(table: str, day: date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def existing_days(connection: Connection) -> set[date]:
    """The days that have a partition of every partitioned table."""
    names = connection.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ANY(:parents)"
        ),
        {"parents": list(PARTITIONED)},
    ).scalars()
    found: dict[date, set[str]] = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            day = datetime.strptime(match.group(2), "%Y%m%d").date()
            found.setdefault(day, set()).add(match.group(1))
    return {day for day, tables in found.items() if len(tables) == len(PARTITIONED)}


def create_default(connection: Connection) -> None:
    """The default partitions (part of the schema; the migration makes them)."""
    for table in PARTITIONED:
        connection.execute(
            text(f"CREATE TABLE IF NOT EXISTS {default_name(table)} PARTITION OF {table} DEFAULT")
        )


def create_days(connection: Connection, days: Iterable[date]) -> list[date]:
    """Create the missing day partitions among `days`; the days created.

    Rows of such a day already in the default partition move into it. Runs on
    `connection`'s open transaction; takes the advisory lock for it.
    """
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    have = existing_days(connection)
    made = []
    for day in sorted(set(days) - have):
        lower, upper = day_start(day), day_start(day + timedelta(days=1))
        bounds = {"lower": lower, "upper": upper}
        for table in PARTITIONED:
            name = partition_name(table, day)
            connection.execute(
                text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            )
            connection.execute(
                text(
                    f"WITH moved AS (DELETE FROM {default_name(table)} "
                    "WHERE observed_at >= :lower AND observed_at < :upper RETURNING *) "
                    f"INSERT INTO {name} SELECT * FROM moved"
                ),
                bounds,
            )
            # Literal bounds: DDL takes no parameters. ISO text of aware UTC times.
            connection.execute(
                text(
                    f"ALTER TABLE {table} ATTACH PARTITION {name} "
                    f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')"
                )
            )
        made.append(day)
    return made


def drop_before(connection: Connection, cutoff: date, *, dry_run: bool = False) -> list[date]:
    """Drop every day partition before `cutoff`, and default rows before it; the days.

    With `dry_run`, only says which days would go.
    """
    days = sorted(d for d in existing_days(connection) if d < cutoff)
    if dry_run:
        return days
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    for day in days:
        for table in reversed(PARTITIONED):
            connection.execute(text(f"DROP TABLE IF EXISTS {partition_name(table, day)}"))
    for table in PARTITIONED:
        connection.execute(
            text(f"DELETE FROM {default_name(table)} WHERE observed_at < :cutoff"),
            {"cutoff": day_start(cutoff)},
        )
    return days


class Partitions:
    """The days a writer knows to have partitions, so it asks the server once per day.

    Only for PostgreSQL engines; `ensure` is a no-op elsewhere.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: set[date] | None = None
        self._enabled = engine.dialect.name == "postgresql"

    def ensure(self, instants: Sequence[datetime]) -> None:
        """Make sure the days of `instants` (and each next day) have partitions."""
        if not self._enabled or not instants:
            return
        first, last = min(instants).astimezone(UTC).date(), max(instants).astimezone(UTC).date()
        if (last - first).days <= _SPAN_DAYS:
            # Live batches span a day or two: every day between, without a pass per row.
            days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
        else:
            days = {instant.astimezone(UTC).date() for instant in instants}
        if self._known is not None and days <= self._known:
            return
        with self._engine.begin() as connection:
            if self._known is None:
                self._known = existing_days(connection)
            wanted = days | {day + timedelta(days=1) for day in days}
            missing = wanted - self._known
            if missing:
                create_days(connection, missing)
            self._known |= wanted
