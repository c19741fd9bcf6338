"""Runs get a state; reprocessing runs keep checkpoints to resume from.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

`runs.state` says whether a run's source has been read to its end
(`complete`), is being read (`running`; the live run always is) or was
stopped before its end (`interrupted`; the same reprocess command resumes it).
`run_checkpoints` holds, per unit of a reprocess source (a capture, or one
partition of an archive), where reading may resume without losing a request:
the file and record before which every request is stored, and the event-time
watermark the join had reached.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_STATES = ("running", "interrupted", "complete")


def upgrade() -> None:
    states = ", ".join(repr(s) for s in RUN_STATES)
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("state", sa.Text(), nullable=False, server_default="running"))
        batch.create_check_constraint("ck_runs_state", f"state IN ({states})")
    op.create_table(
        "run_checkpoints",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("record", sa.BigInteger(), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True)),
        sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("run_id", "unit", name="pk_run_checkpoints"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_checkpoints_run", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("run_checkpoints")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("ck_runs_state", type_="check")
        batch.drop_column("state")
