"""Latency compacted per 5 minutes, so long time series read few rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

- New: `latency_spans` (run, endpoint, span, total, dense histograms), filled
  off the write path by `storage.compaction`. It starts empty: until a span is
  compacted, readers use the minute rollups as before, so no backfill is needed
  here (the worker compacts the live run's history when it starts).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "latency_spans",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("span", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("primary_latency", sa.Text(), nullable=False),
        sa.Column("candidate_latency", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "endpoint", "span", name="pk_latency_spans"),
    )
    op.create_index("ix_latency_spans_span", "latency_spans", ["run_id", "span"])


def downgrade() -> None:
    op.drop_index("ix_latency_spans_span", table_name="latency_spans")
    op.drop_table("latency_spans")
