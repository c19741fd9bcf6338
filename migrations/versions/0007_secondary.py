"""Noise measured with a secondary: Diffy's primary-versus-secondary baseline.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- New: `secondary_comparisons` (a row per stored request that had a secondary:
  the paths where it differed from the primary), and the rollups
  `secondary_minutes` (requests with a secondary per endpoint and minute) and
  `secondary_paths` (per endpoint, minute and folded path, how often the
  candidate and the secondary differed from the primary there).

Nothing to backfill: before this revision the join dropped secondary sides.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "secondary_comparisons",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paths", sa.Text(), nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("run_id", "request_id", name="pk_secondary_comparisons"),
    )
    op.create_index(
        "ix_secondary_comparisons_observed_at", "secondary_comparisons", ["observed_at"]
    )
    op.create_table(
        "secondary_minutes",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "endpoint", "minute", name="pk_secondary_minutes"),
    )
    op.create_index("ix_secondary_minutes_minute", "secondary_minutes", ["run_id", "minute"])
    op.create_table(
        "secondary_paths",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("candidate", sa.Integer(), nullable=False),
        sa.Column("secondary", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "endpoint", "minute", "path", name="pk_secondary_paths"),
    )
    op.create_index("ix_secondary_paths_minute", "secondary_paths", ["run_id", "minute"])


def downgrade() -> None:
    op.drop_table("secondary_paths")
    op.drop_table("secondary_minutes")
    op.drop_table("secondary_comparisons")
