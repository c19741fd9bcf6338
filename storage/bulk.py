"""Multi-row inserts, one statement per table per batch.

On PostgreSQL a batch goes in as one `INSERT ... SELECT FROM unnest(arrays)`:
one parameter per column (an array) instead of one per value, so the statement
is tiny to build and send, and the server plans it once. That brings the
idempotent insert within reach of COPY, which cannot say `ON CONFLICT` nor
return what it inserted. Elsewhere (SQLite) SQLAlchemy's multi-row VALUES
("insertmanyvalues") does the same job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

from storage.models import comparisons, differences
from storage.writer_sql import insert

# PostgreSQL array types of the columns, in table order.
_PG_TYPES: dict[str, dict[str, str]] = {
    "comparisons": {
        "run_id": "text",
        "request_id": "text",
        "endpoint": "text",
        "method": "text",
        "observed_at": "timestamptz",
        "verdict": "text",
        "primary_status": "int4",
        "candidate_status": "int4",
        "primary_latency_ms": "float8",
        "candidate_latency_ms": "float8",
        "signature": "text",
        "rules_version": "text",
        "stored_at": "timestamptz",
    },
    "differences": {
        "run_id": "text",
        "request_id": "text",
        "seq": "int4",
        "path": "text",
        "kind": "text",
        "primary_value": "text",
        "candidate_value": "text",
    },
}


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
    return value.astimezone(UTC)


def _unnest_insert(table: Table, tail: str) -> str:
    types = _PG_TYPES[table.name]
    columns = ", ".join(types)
    arrays = ", ".join(f"%({name})b::{kind}[]" for name, kind in types.items())
    return f"INSERT INTO {table.name} ({columns}) SELECT * FROM unnest({arrays}) {tail}"


_PG_COMPARISONS = _unnest_insert(
    comparisons, "ON CONFLICT (run_id, request_id) DO NOTHING RETURNING request_id"
)
_PG_DIFFERENCES = _unnest_insert(differences, "")


def _columns(table: Table, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    arrays: dict[str, list[Any]] = {}
    for name, kind in _PG_TYPES[table.name].items():
        values = [row[name] for row in rows]
        if kind == "timestamptz":
            values = [_aware_utc(v) for v in values]
        arrays[name] = values
    return arrays


def _execute_binary(connection: Connection, sql: str, params: dict[str, list[Any]]) -> list[Any]:
    """Run `sql` (with `%(name)b` binary placeholders) on the transaction's own
    psycopg connection.

    Binary array parameters skip psycopg's text quoting of every element, which
    otherwise costs more than the insert itself.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description is not None else []


def insert_new_comparisons(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert comparison rows, skipping keys already stored; the request ids inserted."""
    if not rows:
        return set()
    if connection.dialect.name == "postgresql":
        inserted = _execute_binary(connection, _PG_COMPARISONS, _columns(comparisons, rows))
        return {row[0] for row in inserted}
    statement = (
        insert(connection, comparisons)
        .on_conflict_do_nothing(index_elements=["run_id", "request_id"])
        .returning(comparisons.c.request_id)
    )
    return set(connection.execute(statement, list(rows)).scalars())


def insert_differences(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert difference rows (of comparisons this transaction has just inserted)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _execute_binary(connection, _PG_DIFFERENCES, _columns(differences, rows))
        return
    connection.execute(insert(connection, differences), list(rows))
