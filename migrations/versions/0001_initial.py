"""Initial schema: runs, comparisons, differences, signatures.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

The closed sets below are spelled out rather than imported: a migration is a
snapshot, and adding a verdict or difference kind later is a new migration that
widens the check constraint.

PostgreSQL: `comparisons` (and with it `differences`) is planned to become
range-partitioned by `observed_at` once volumes call for it; the primary key
would then have to include `observed_at`. Not needed yet, so plain tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
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
RUN_KINDS = ("live", "reprocess")
SIGNATURE_STATUSES = ("new", "expected", "fixed")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("rules_version", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("source_from", _timestamp()),
        sa.Column("source_until", _timestamp()),
        sa.CheckConstraint(_in("kind", RUN_KINDS), name="ck_runs_kind"),
    )
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
        sa.PrimaryKeyConstraint("run_id", "request_id", name="pk_comparisons"),
        sa.CheckConstraint(_in("verdict", VERDICTS), name="ck_comparisons_verdict"),
    )
    op.create_index(
        "ix_comparisons_endpoint_observed_at", "comparisons", ["endpoint", "observed_at"]
    )
    op.create_index("ix_comparisons_observed_at", "comparisons", ["observed_at"])
    op.create_table(
        "differences",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("primary_value", sa.Text()),
        sa.Column("candidate_value", sa.Text()),
        sa.PrimaryKeyConstraint("run_id", "request_id", "seq", name="pk_differences"),
        sa.ForeignKeyConstraint(
            ["run_id", "request_id"],
            ["comparisons.run_id", "comparisons.request_id"],
            name="fk_differences_comparison",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_differences_kind"),
    )
    op.create_table(
        "signatures",
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("example_request_ids", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("status", sa.Text(), nullable=False, server_default="new"),
        sa.PrimaryKeyConstraint("signature", "endpoint", name="pk_signatures"),
        sa.CheckConstraint(_in("status", SIGNATURE_STATUSES), name="ck_signatures_status"),
    )


def downgrade() -> None:
    op.drop_table("signatures")
    op.drop_table("differences")
    op.drop_index("ix_comparisons_observed_at", table_name="comparisons")
    op.drop_index("ix_comparisons_endpoint_observed_at", table_name="comparisons")
    op.drop_table("comparisons")
    op.drop_table("runs")
