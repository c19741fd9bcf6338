"""The generic write path (SQLite, the embedded default): SQLAlchemy Core statements.

PostgreSQL has its own, faster path (`storage.pg_copy`); this one serves every
other dialect and is the reference for what a batch write means:

1. leave out the requests stored already under another nearby event time
   (`storage.rows.SIDES_APART`), insert the others' comparison rows, skipping
   keys stored meanwhile, and learn which request ids were new
   (`INSERT ... ON CONFLICT DO NOTHING RETURNING`);
2. insert the differences of the new ones only;
3. add the new rows to their signatures' counts (an upsert, so concurrent
   writers never lose an increment), topping the example request ids up to
   `examples` while a signature has fewer;
4. add them to the minute rollups (`storage.rollups`).

All of it runs on the caller's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import orjson
from sqlalchemy import Connection, case, select, update

from comparator.model import Result
from storage import rollups
from storage.models import comparisons, differences, signatures
from storage.redaction import Redactor
from storage.rows import (
    COMPARISON_COLUMNS,
    DIFFERENCE_COLUMNS,
    ONLY_CANDIDATE,
    SignatureDelta,
    as_dicts,
    comparison_row,
    difference_rows,
    only_candidate,
    search_window,
    signature_deltas,
)
from storage.writer_sql import insert


def write_batch(
    connection: Connection,
    run_id: str,
    stored_at: datetime,
    unique: Mapping[str, Result],
    redactor: Redactor,
    examples: int,
) -> list[Result]:
    """Write `unique` (request id -> result, no repeats); the results that were new."""
    lower, upper = search_window(unique)
    c = comparisons.c
    nearby = (c.run_id == run_id, c.observed_at >= lower, c.observed_at < upper)
    stored = set(
        connection.execute(
            select(c.request_id)
            .where(*nearby, c.verdict == ONLY_CANDIDATE, c.request_id.in_(list(unique)))
            .union(select(c.request_id).where(*nearby, c.request_id.in_(only_candidate(unique))))
        ).scalars()
    )
    fresh = [result for request_id, result in unique.items() if request_id not in stored]
    if not fresh:
        return []
    rows = as_dicts(COMPARISON_COLUMNS, (comparison_row(r, run_id, stored_at) for r in fresh))
    statement = (
        insert(connection, comparisons)
        .on_conflict_do_nothing(index_elements=["run_id", "request_id", "observed_at"])
        .returning(comparisons.c.request_id)
    )
    inserted = set(connection.execute(statement, rows).scalars())
    if not inserted:
        return []
    new = [result for result in fresh if result.request_id in inserted]
    difference_dicts = as_dicts(DIFFERENCE_COLUMNS, difference_rows(new, run_id, redactor))
    if difference_dicts:
        connection.execute(insert(connection, differences), difference_dicts)
    count_signatures(connection, run_id, signature_deltas(new, examples), examples)
    rollups.add(connection, run_id, new)
    return new


def count_signatures(
    connection: Connection, run_id: str, deltas: list[SignatureDelta], examples: int
) -> None:
    """Add this batch's new rows to the signature counts, atomically per signature.

    The upsert adds to the stored count under the row lock, so concurrent
    writers never lose an increment. Keys go in sorted order so two writers
    touching the same signatures lock them in the same order (no deadlock).
    """
    if not deltas:
        return
    table = signatures
    stmt = insert(connection, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_id", "signature", "endpoint"],
        set_={
            "count": table.c["count"] + stmt.excluded["count"],
            "first_seen": case(
                (stmt.excluded.first_seen < table.c.first_seen, stmt.excluded.first_seen),
                else_=table.c.first_seen,
            ),
            "last_seen": case(
                (stmt.excluded.last_seen > table.c.last_seen, stmt.excluded.last_seen),
                else_=table.c.last_seen,
            ),
            "summary": case((table.c.summary == "", stmt.excluded.summary), else_=table.c.summary),
        },
    ).returning(table.c.signature, table.c.endpoint, table.c.example_request_ids)
    rows = [
        {
            "run_id": run_id,
            "signature": d.signature,
            "endpoint": d.endpoint,
            "summary": d.summary,
            "paths": orjson.dumps(d.paths).decode(),
            "first_seen": d.first_seen,
            "last_seen": d.last_seen,
            "count": d.count,
            "example_request_ids": orjson.dumps(list(d.examples)).decode(),
        }
        for d in deltas
    ]
    stored = connection.execute(stmt, rows).all()
    by_key = {(d.signature, d.endpoint): d for d in deltas}
    mine = (table.c.run_id == run_id,)
    for signature, endpoint, examples_json in stored:
        # An existing signature keeps its examples; top them up while there are
        # fewer than wanted. The upsert above holds the row lock, so this is safe.
        existing: list[str] = orjson.loads(examples_json)
        if len(existing) >= examples:
            continue
        extra = [r for r in by_key[(signature, endpoint)].examples if r not in existing]
        merged = (existing + extra)[:examples]
        if merged != existing:
            connection.execute(
                update(table)
                .where(*mine, table.c.signature == signature, table.c.endpoint == endpoint)
                .values(example_request_ids=orjson.dumps(merged).decode())
            )
