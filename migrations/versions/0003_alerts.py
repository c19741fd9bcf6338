"""Alerts raised by the built-in judge.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("window_start", _timestamp(), nullable=False),
        sa.Column("window_end", _timestamp(), nullable=False),
        sa.Column("opened_at", _timestamp(), nullable=False),
        sa.Column("resolved_at", _timestamp()),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("stored_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.CheckConstraint("state IN ('firing', 'resolved')", name="ck_alerts_state"),
    )
    op.create_index("ix_alerts_run_opened_at", "alerts", ["run_id", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_run_opened_at", table_name="alerts")
    op.drop_table("alerts")
