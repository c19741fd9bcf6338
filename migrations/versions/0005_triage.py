"""Triage history: every mark of a signature on its endpoint, the same in every run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

- New: `signature_marks` (signature, endpoint, status, marked_at, note).
- A signature already marked `expected` or `fixed` in `signatures.status` gets
  one mark carrying that state over (noted as such), so nothing triaged before
  the upgrade reads as untriaged after it. Where runs disagree, the live run's
  state wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE_STATUSES = ("new", "expected", "fixed")
CARRIED_OVER = "carried over from the signature's status at the upgrade"


def upgrade() -> None:
    statuses = ", ".join(repr(s) for s in SIGNATURE_STATUSES)
    marks = op.create_table(
        "signature_marks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_signature_marks_status"),
    )
    op.create_index(
        "ix_signature_marks_signature_endpoint",
        "signature_marks",
        ["signature", "endpoint", "id"],
    )
    assert marks is not None
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT signature, endpoint, status, run_id = 'live' AS live FROM signatures "
            "WHERE status <> 'new' ORDER BY signature, endpoint, live"
        )
    ).all()
    triaged: dict[tuple[str, str], str] = {}
    for signature, endpoint, status, _live in rows:
        triaged[signature, endpoint] = status  # the live run's comes last, and wins
    if not triaged:
        return
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the store's UTCDateTime keeps it there
    op.bulk_insert(
        marks,
        [
            {
                "signature": signature,
                "endpoint": endpoint,
                "status": status,
                "marked_at": now,
                "note": CARRIED_OVER,
            }
            for (signature, endpoint), status in sorted(triaged.items())
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_signature_marks_signature_endpoint", table_name="signature_marks")
    op.drop_table("signature_marks")
