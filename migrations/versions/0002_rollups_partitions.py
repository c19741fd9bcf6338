"""Rollups per minute, signatures per run, raw rows partitioned by day.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

- `comparisons` and `differences` get `observed_at` into their keys (and
  `differences` the column itself); on PostgreSQL both become range-partitioned
  by `observed_at`, a partition per day plus a default one. `differences` loses
  its foreign key (see `storage.models`).
- `signatures` are counted per run (`run_id` in the key) and name their
  problem (`paths`).
- New: `endpoint_minutes`, `signature_minutes`, `signature_hours` (the
  rollups) and `pruned`.

Every row is kept: the old tables are renamed, the new ones created, the rows
copied over, and the rollups and per-run signatures backfilled from them by the
writer's own code (`storage.rollups`, `storage.rows`, `storage.bulk`), so they
equal what the writer would have written had they existed all along. Old
signature summaries and triage states carry over to every run's row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from comparator.model import Comparison, Difference, Kind, Result, Verdict
from storage import bulk, partitions, rollups
from storage.rows import signature_deltas

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERDICTS = (
    "match",
    "mismatch",
    "error_primary",
    "error_candidate",
    "error_both",
    "missing_primary",
    "missing_candidate",
)
KINDS = (
    "status",
    "header",
    "content_type",
    "value_changed",
    "type_changed",
    "field_missing",
    "field_added",
    "array_length",
    "array_order",
    "numeric_tolerance",
    "graphql_error",
    "graphql_null_data",
    "body_unparseable",
    "too_large",
)
SIGNATURE_STATUSES = ("new", "expected", "fixed")
EXAMPLES = 3
CHUNK = 20_000

# Index names are global in both databases: the old ones are renamed or dropped
# before the new tables take the names.
_OLD_INDEXES = ("ix_comparisons_endpoint_observed_at", "ix_comparisons_observed_at")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_tables(postgres: bool) -> None:
    partitioned = {"postgresql_partition_by": "RANGE (observed_at)"} if postgres else {}
    op.create_table(
        "comparisons",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("observed_at", _timestamp(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("primary_status", sa.Integer()),
        sa.Column("candidate_status", sa.Integer()),
        sa.Column("primary_latency_ms", sa.Float()),
        sa.Column("candidate_latency_ms", sa.Float()),
        sa.Column("signature", sa.Text()),
        sa.Column("rules_version", sa.Text(), nullable=False),
        sa.Column("stored_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "request_id", "observed_at", name="pk_comparisons"),
        sa.CheckConstraint(_in("verdict", VERDICTS), name="ck_comparisons_verdict"),
        **partitioned,
    )
    op.create_index(
        "ix_comparisons_endpoint_observed_at",
        "comparisons",
        ["run_id", "endpoint", "observed_at"],
    )
    unmatched = sa.text("verdict <> 'match'")
    op.create_index(
        "ix_comparisons_unmatched",
        "comparisons",
        ["run_id", "endpoint", "observed_at"],
        postgresql_where=unmatched,
        sqlite_where=unmatched,
    )
    only_candidate = sa.text("verdict = 'missing_primary'")
    op.create_index(
        "ix_comparisons_missing_primary",
        "comparisons",
        ["run_id", "request_id"],
        postgresql_where=only_candidate,
        sqlite_where=only_candidate,
    )
    op.create_table(
        "differences",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("observed_at", _timestamp(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("primary_value", sa.Text()),
        sa.Column("candidate_value", sa.Text()),
        sa.PrimaryKeyConstraint(
            "run_id", "request_id", "observed_at", "seq", name="pk_differences"
        ),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_differences_kind"),
        **partitioned,
    )
    op.create_table(
        "signatures",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("paths", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example_request_ids", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("status", sa.Text(), nullable=False, server_default="new"),
        sa.PrimaryKeyConstraint("run_id", "signature", "endpoint", name="pk_signatures"),
        sa.CheckConstraint(_in("status", SIGNATURE_STATUSES), name="ck_signatures_status"),
    )
    op.create_table(
        "endpoint_minutes",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("minute", _timestamp(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        *(
            sa.Column(f"n_{verdict}", sa.Integer(), nullable=False, server_default="0")
            for verdict in VERDICTS
        ),
        sa.Column("primary_latency", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("candidate_latency", sa.Text(), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("run_id", "endpoint", "minute", name="pk_endpoint_minutes"),
    )
    op.create_index("ix_endpoint_minutes_minute", "endpoint_minutes", ["run_id", "minute"])
    op.create_table(
        "signature_minutes",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("minute", _timestamp(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "endpoint", "minute", "signature", name="pk_signature_minutes"
        ),
    )
    op.create_index("ix_signature_minutes_minute", "signature_minutes", ["run_id", "minute"])
    op.create_table(
        "signature_hours",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("hour", _timestamp(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "endpoint", "hour", "signature", name="pk_signature_hours"
        ),
    )
    op.create_index("ix_signature_hours_hour", "signature_hours", ["run_id", "hour"])
    op.create_table(
        "pruned",
        sa.Column("data", sa.Text(), primary_key=True),
        sa.Column("before", _timestamp(), nullable=False),
        sa.CheckConstraint(_in("data", ("raw", "rollups")), name="ck_pruned_data"),
    )


def _set_old_tables_aside(connection: sa.Connection, postgres: bool) -> None:
    for name in _OLD_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for table in ("comparisons", "differences", "signatures"):
        op.rename_table(table, f"{table}_0001")
        if postgres:
            # Primary keys are indexes, named globally, too.
            op.execute(f"ALTER INDEX pk_{table} RENAME TO pk_{table}_0001")


def upgrade() -> None:
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    _set_old_tables_aside(connection, postgres)
    _create_tables(postgres)
    if postgres:
        partitions.create_default(connection)
        days = connection.execute(
            sa.text("SELECT DISTINCT (observed_at AT TIME ZONE 'UTC')::date FROM comparisons_0001")
        ).scalars()
        today = datetime.now(UTC).date()
        partitions.create_days(connection, {*days, today})
    columns = (
        "run_id, request_id, endpoint, method, observed_at, verdict, primary_status, "
        "candidate_status, primary_latency_ms, candidate_latency_ms, signature, "
        "rules_version, stored_at"
    )
    op.execute(f"INSERT INTO comparisons ({columns}) SELECT {columns} FROM comparisons_0001")
    op.execute(
        "INSERT INTO differences (run_id, request_id, observed_at, seq, path, kind, "
        "primary_value, candidate_value) "
        "SELECT d.run_id, d.request_id, c.observed_at, d.seq, d.path, d.kind, "
        "d.primary_value, d.candidate_value "
        "FROM differences_0001 AS d JOIN comparisons_0001 AS c "
        "ON c.run_id = d.run_id AND c.request_id = d.request_id"
    )
    _backfill(connection)
    for table in ("differences", "signatures", "comparisons"):
        op.drop_table(f"{table}_0001")


def _backfill(connection: sa.Connection) -> None:
    """Per-run signatures and both rollups, from every copied comparison."""
    old = {
        (row.signature, row.endpoint): row
        for row in connection.execute(
            sa.text("SELECT signature, endpoint, summary, status FROM signatures_0001")
        )
    }
    problems = _problems(connection)
    for run_id, results in _chunks(connection, old, problems):
        bulk.count_signatures(connection, run_id, signature_deltas(results, EXAMPLES), EXAMPLES)
        rollups.add(connection, run_id, results)
    for (signature, endpoint), row in old.items():
        if row.status != "new":
            connection.execute(
                sa.text(
                    "UPDATE signatures SET status = :status "
                    "WHERE signature = :signature AND endpoint = :endpoint"
                ),
                {"status": row.status, "signature": signature, "endpoint": endpoint},
            )


def _problems(connection: sa.Connection) -> dict[tuple[str, str], tuple[Difference, ...]]:
    """Per (signature, endpoint), the differences of one request that has it.

    The signature's paths are rebuilt from them (`storage.rows.problem_paths`);
    every request of a signature has the same set by the signature's definition.
    """
    rows = connection.execute(
        sa.text(
            "SELECT c.signature, c.endpoint, d.path, d.kind FROM differences_0001 AS d "
            "JOIN comparisons_0001 AS c ON c.run_id = d.run_id AND c.request_id = d.request_id "
            "JOIN (SELECT signature, endpoint, min(run_id || ' ' || request_id) AS first "
            "      FROM comparisons_0001 WHERE signature IS NOT NULL "
            "      GROUP BY signature, endpoint) AS one "
            "ON one.signature = c.signature AND one.endpoint = c.endpoint "
            "AND one.first = c.run_id || ' ' || c.request_id"
        )
    )
    found: dict[tuple[str, str], list[Difference]] = {}
    for signature, endpoint, path, kind in rows:
        found.setdefault((signature, endpoint), []).append(Difference(path, Kind(kind)))
    return {key: tuple(value) for key, value in found.items()}


def _chunks(
    connection: sa.Connection,
    old: dict[tuple[str, str], Any],
    problems: dict[tuple[str, str], tuple[Difference, ...]],
) -> Iterator[tuple[str, list[Result]]]:
    """The copied comparisons as `Result`s, a chunk of one run at a time, in key order."""
    after: tuple[str, str] = ("", "")
    query = sa.text(
        "SELECT run_id, request_id, endpoint, method, observed_at, verdict, primary_status, "
        "candidate_status, primary_latency_ms, candidate_latency_ms, signature, rules_version "
        "FROM comparisons_0001 WHERE run_id > :run OR (run_id = :run AND request_id > :request) "
        "ORDER BY run_id, request_id LIMIT :limit"
    ).columns(observed_at=sa.DateTime(timezone=True))
    while True:
        rows = connection.execute(
            query, {"run": after[0], "request": after[1], "limit": CHUNK}
        ).all()
        if not rows:
            return
        by_run: dict[str, list[Result]] = {}
        for row in rows:
            observed_at = row.observed_at
            if isinstance(observed_at, str):  # SQLite hands back text
                observed_at = datetime.fromisoformat(observed_at)
            if observed_at.tzinfo is None:
                observed_at = observed_at.replace(tzinfo=UTC)
            key = (row.signature, row.endpoint)
            known = old.get(key)
            by_run.setdefault(row.run_id, []).append(
                Result(
                    request_id=row.request_id,
                    endpoint=row.endpoint,
                    method=row.method,
                    observed_at=observed_at,
                    primary_status=row.primary_status,
                    candidate_status=row.candidate_status,
                    primary_latency_ms=row.primary_latency_ms,
                    candidate_latency_ms=row.candidate_latency_ms,
                    comparison=Comparison(
                        Verdict(row.verdict),
                        problems.get(key, ()),
                        row.rules_version,
                        row.signature,
                        known.summary if known is not None else "",
                    ),
                )
            )
        yield from by_run.items()
        after = (rows[-1].run_id, rows[-1].request_id)


def downgrade() -> None:
    raise NotImplementedError(
        "0002 cannot be undone in place: restore the backup taken before upgrading"
    )
