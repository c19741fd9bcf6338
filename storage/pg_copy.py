"""The PostgreSQL write path: binary COPY, with a set-based fallback for replays.

COPY is the fastest way to move rows into PostgreSQL, but it cannot skip rows
already stored. Delivery upstream is at-least-once, yet almost every batch is
entirely new, so a batch is written optimistically and falls back only when
that fails, all on the transaction's own psycopg connection (one transaction
with everything else):

0. one look-up (`_STORED`) leaves out the requests stored already under
   another nearby event time (`storage.rows.SIDES_APART`): a replay;
1. the comparison and difference rows are copied straight into their tables.
   The primary key refuses a request another writer stored since the look-up
   (two workers overlapping in a rebalance); then the transaction is lost, and
   the writer starts the batch over (`Contended`) with:
2. the rows copied into staging tables instead; one statement (`_MERGE`)
   moves the new comparisons into place (`ON CONFLICT DO NOTHING RETURNING`)
   and the differences of exactly those;
3. one upsert (`_COUNT_SIGNATURES`) adds the new results' signature deltas
   (`storage.rows.signature_deltas`, the generic path's own) to the counts
   and examples, set-based in the server, and `storage.rollups` adds them to
   the minute rollups.

Staging tables are session-local (`TEMP`, `ON COMMIT DELETE ROWS`: unlogged,
unindexed, and empty again once the batch commits or rolls back), created once
per connection. Rows are written in request-id order (code point order, which
is `COLLATE "C"` in the server) in both paths, so two writers racing on
overlapping keys wait on each other in the same order instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
import psycopg
from psycopg import errors
from sqlalchemy import Connection, exc

from comparator.model import Result
from storage import rollups
from storage.redaction import Redactor
from storage.rows import (
    COMPARISON_COLUMNS,
    DIFFERENCE_COLUMNS,
    SignatureDelta,
    aware,
    comparison_row,
    difference_rows,
    only_candidate,
    search_window,
    signature_deltas,
)

# PostgreSQL types of the columns, in `storage.rows` column order (binary COPY
# needs them up front).
_TYPES: dict[str, str] = {
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
    "seq": "int4",
    "path": "text",
    "kind": "text",
    "primary_value": "text",
    "candidate_value": "text",
    "summary": "text",
}

_STAGED_COMPARISONS = "pg_temp.shadowdiff_staged_comparisons"
_STAGED_DIFFERENCES = "pg_temp.shadowdiff_staged_differences"

_CREATE_STAGING = (
    # LIKE keeps the staging tables in step with the schema (columns only).
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGED_COMPARISONS} (LIKE comparisons)"
    " ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGED_DIFFERENCES} (LIKE differences)"
    " ON COMMIT DELETE ROWS",
)

_STORED = """
SELECT request_id FROM comparisons
WHERE run_id = %(run)s AND verdict = 'missing_primary' AND request_id = ANY(%(ids)s)
    AND observed_at >= %(lower)s AND observed_at < %(upper)s
UNION
SELECT request_id FROM comparisons
WHERE run_id = %(run)s AND request_id = ANY(%(lonely)s)
    AND observed_at >= %(lower)s AND observed_at < %(upper)s
"""
"""The batch's requests stored already under another event time near the
batch's (`storage.rows.SIDES_APART`)."""

_MERGE = f"""
WITH new AS (
    INSERT INTO comparisons ({", ".join(COMPARISON_COLUMNS)})
    SELECT * FROM {_STAGED_COMPARISONS} ORDER BY request_id COLLATE "C"
    ON CONFLICT (run_id, request_id, observed_at) DO NOTHING
    RETURNING request_id, observed_at
), new_differences AS (
    INSERT INTO differences ({", ".join(DIFFERENCE_COLUMNS)})
    SELECT d.* FROM {_STAGED_DIFFERENCES} AS d JOIN new USING (request_id, observed_at)
)
SELECT request_id FROM new
"""
"""Moves the staged rows that are new into place; returns their request ids.

Data-modifying CTEs all run, referenced or not."""

_COUNT_SIGNATURES = """
INSERT INTO signatures AS t (run_id, signature, endpoint, summary, paths, first_seen,
    last_seen, count, example_request_ids)
SELECT %(run)s, signature, endpoint, summary, paths::text, first_seen, last_seen, count,
    examples::text
FROM json_to_recordset(%(deltas)s::json) AS d(
    signature text, endpoint text, summary text, paths json, first_seen timestamptz,
    last_seen timestamptz, count int4, examples json)
ORDER BY signature COLLATE "C", endpoint COLLATE "C"
ON CONFLICT (run_id, signature, endpoint) DO UPDATE SET
    count = t.count + excluded.count,
    first_seen = least(t.first_seen, excluded.first_seen),
    last_seen = greatest(t.last_seen, excluded.last_seen),
    summary = CASE WHEN t.summary = '' THEN excluded.summary ELSE t.summary END,
    example_request_ids = CASE
        WHEN json_array_length(t.example_request_ids::json) >= %(examples)s::int4
            THEN t.example_request_ids
        ELSE (
            SELECT array_to_json(array_agg(id ORDER BY pos))::text FROM (
                SELECT id, min(pos) AS pos FROM (
                    SELECT id, pos FROM json_array_elements_text(
                        t.example_request_ids::json) WITH ORDINALITY AS old(id, pos)
                    UNION ALL
                    SELECT id, pos + %(examples)s::int4 FROM json_array_elements_text(
                        excluded.example_request_ids::json) WITH ORDINALITY AS add(id, pos)
                ) AS merged GROUP BY id ORDER BY pos LIMIT %(examples)s::int4
            ) AS kept)
        END
"""
"""Adds the batch's signature deltas (`storage.rows.signature_deltas`, sent
as one JSON parameter) to the counts, atomically per signature.

The upsert adds to the stored count under the row lock, so concurrent writers
never lose an increment, and takes its keys in sorted order (no deadlock).
A signature keeps its first examples and is topped up while it has fewer than
wanted, the generic path's rule folded into the upsert instead of one UPDATE
per signature. `array_to_json` writes the same compact JSON text as orjson,
and a `json` value keeps the text it was given."""

# psycopg caches the parsing of statements up to this length; longer ones would
# be parsed again for every batch.
assert max(len(_MERGE), len(_COUNT_SIGNATURES)) <= 4096

_STAGING_READY = "shadowdiff.staging_ready"
"""Key in the pooled connection's `info`: the staging tables exist in its session.

SQLAlchemy clears `info` when it replaces a broken connection, so a new
session creates them again."""


def forget_staging(info: dict[Any, Any]) -> None:
    """Call with the pooled connection's `info` when a batch's transaction failed.

    Staging tables created in that transaction were rolled back with it, so
    the next batch on this connection must create them again.
    """
    info.pop(_STAGING_READY, None)


class Contended(Exception):
    """Another writer stored some of the batch meanwhile: write it again, `contended=True`.

    The transaction is lost (a failed COPY aborts it); the caller rolls back and
    starts the batch over in a new one.
    """


def write_batch(
    connection: Connection,
    run_id: str,
    stored_at: datetime,
    unique: Mapping[str, Result],
    redactor: Redactor,
    examples: int,
    *,
    contended: bool = False,
) -> list[Result]:
    """Write `unique` (request id -> result, no repeats); the results that were new.

    Raises `Contended` when the direct copy meets rows another writer stored
    since the look-up; `contended=True` takes the staged path that skips them.

    Runs on `connection`'s psycopg connection inside its open transaction.
    Driver errors come out as SQLAlchemy's `DBAPIError` family, like those of
    every other statement, so `storage.engine.guard` translates them.
    """
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    stored_at = aware(stored_at)
    ordered = [unique[request_id] for request_id in sorted(unique)]
    with _as_sqlalchemy_errors(), driver.cursor() as cursor:
        if not connection.info.get(_STAGING_READY):
            for statement in _CREATE_STAGING:
                cursor.execute(statement)
            connection.info[_STAGING_READY] = True
        lower, upper = search_window(unique)
        params = {
            "run": run_id,
            "ids": list(unique),
            "lonely": only_candidate(unique),
            "lower": lower,
            "upper": upper,
        }
        cursor.execute(_STORED, params)
        stored = {row[0] for row in cursor.fetchall()}
        if stored:
            ordered = [result for result in ordered if result.request_id not in stored]
        if not contended:
            try:
                _copy_batch(
                    cursor, ("comparisons", "differences"), ordered, run_id, stored_at, redactor
                )
            except errors.UniqueViolation as error:
                raise Contended from error
            new = ordered
        else:
            tables = (_STAGED_COMPARISONS, _STAGED_DIFFERENCES)
            _copy_batch(cursor, tables, ordered, run_id, stored_at, redactor)
            cursor.execute(_MERGE)
            inserted = {row[0] for row in cursor.fetchall()}
            new = [result for result in ordered if result.request_id in inserted]
        counts = rollups.postgres_statements(run_id, new)
        deltas = signature_deltas(new, examples)
        if deltas:
            params = {"run": run_id, "deltas": _deltas_json(deltas), "examples": examples}
            counts.append((_COUNT_SIGNATURES, params))
        # One round trip for all the counting: the statements go out together.
        with driver.pipeline():
            for statement, params in counts:
                cursor.execute(statement, params)
    return new


def _deltas_json(deltas: list[SignatureDelta]) -> str:
    # orjson serialises the slotted dataclasses and aware datetimes (RFC 3339,
    # which PostgreSQL reads as timestamptz) in C; one parameter for the lot.
    return orjson.dumps(deltas).decode()


def _copy_batch(
    cursor: psycopg.Cursor[Any],
    tables: tuple[str, str],
    ordered: list[Result],
    run_id: str,
    stored_at: datetime,
    redactor: Redactor,
) -> None:
    """COPY the comparison and difference rows of `ordered` into `tables`."""
    comparisons, differences = tables
    _copy(
        cursor,
        comparisons,
        COMPARISON_COLUMNS,
        (comparison_row(result, run_id, stored_at) for result in ordered),
    )
    if any(result.comparison.differences for result in ordered):
        rows = difference_rows(ordered, run_id, redactor)
        _copy(cursor, differences, DIFFERENCE_COLUMNS, rows)


def _copy(
    cursor: psycopg.Cursor[Any],
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """Binary COPY of `rows` (tuples in `columns` order) into `table`."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_TYPES[column] for column in columns])
        for row in rows:
            copy.write_row(row)


@contextmanager
def _as_sqlalchemy_errors() -> Iterator[None]:
    """Re-raise psycopg's errors as the SQLAlchemy exceptions of the same kind."""
    try:
        yield
    except psycopg.Error as error:
        broken = error.pgconn is not None and error.pgconn.status != 0  # not CONNECTION_OK
        wrapped: Any = exc.DBAPIError.instance(
            None, None, error, psycopg.Error, connection_invalidated=broken
        )
        raise wrapped from error
