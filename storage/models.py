"""The result store's tables, as SQLAlchemy Core metadata.

One source of truth for the schema shape that queries and the writer use; the
Alembic migrations create it (the tests compare the two). Every type here works
on PostgreSQL (psycopg 3) and on SQLite, the embedded default.

Closed sets (verdicts, difference kinds, run kinds, signature statuses) are text
columns with check constraints, so adding a member is a migration, never a
silent new value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TypeDecorator,
    false,
)

from comparator.model import Kind, Verdict

RunKind = Literal["live", "reprocess"]
"""A run is the live stream's (id "live") or one reprocessing of historic traffic."""

RunState = Literal["running", "interrupted", "complete"]
"""Whether a run's source is being read (the live run always is), was stopped
before its end (the same reprocess command resumes it), or was read to its end."""

SignatureStatus = Literal["new", "expected", "fixed"]
"""Triage state of a signature: not yet looked at, accepted as intended, or fixed."""

LIVE_RUN = "live"


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


VERDICT_VALUES: tuple[str, ...] = tuple(v.value for v in Verdict)
KIND_VALUES: tuple[str, ...] = tuple(k.value for k in Kind)
RUN_KIND_VALUES: tuple[str, ...] = get_args(RunKind)
RUN_STATE_VALUES: tuple[str, ...] = get_args(RunState)
SIGNATURE_STATUS_VALUES: tuple[str, ...] = get_args(SignatureStatus)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every dialect.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are
    stored as naive UTC text (which sorts and compares correctly) and come back
    with UTC attached. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # an aggregate (min/max) on SQLite loses the type
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("rules_version", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("note", Text),
    Column("source_from", UTCDateTime),
    Column("source_until", UTCDateTime),
    Column("state", Text, nullable=False, server_default="running"),
    CheckConstraint(_in("kind", RUN_KIND_VALUES), name="ck_runs_kind"),
    CheckConstraint(_in("state", RUN_STATE_VALUES), name="ck_runs_state"),
)

comparisons = Table(
    "comparisons",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    Column("verdict", Text, nullable=False),
    Column("primary_status", Integer),
    Column("candidate_status", Integer),
    Column("primary_latency_ms", Float),
    Column("candidate_latency_ms", Float),
    Column("signature", Text),
    Column("rules_version", Text, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("run_id", "request_id", name="pk_comparisons"),
    CheckConstraint(_in("verdict", VERDICT_VALUES), name="ck_comparisons_verdict"),
    Index("ix_comparisons_endpoint_observed_at", "endpoint", "observed_at"),
    Index("ix_comparisons_observed_at", "observed_at"),
)

differences = Table(
    "differences",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("kind", Text, nullable=False),
    # JSON text (NULL: the side has no value); redacted before it gets here.
    Column("primary_value", Text),
    Column("candidate_value", Text),
    PrimaryKeyConstraint("run_id", "request_id", "seq", name="pk_differences"),
    ForeignKeyConstraint(
        ["run_id", "request_id"],
        ["comparisons.run_id", "comparisons.request_id"],
        name="fk_differences_comparison",
        ondelete="CASCADE",
    ),
    CheckConstraint(_in("kind", KIND_VALUES), name="ck_differences_kind"),
)

signatures = Table(
    "signatures",
    metadata,
    Column("signature", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    # A JSON array of a few request ids: the first ones stored.
    Column("example_request_ids", Text, nullable=False, server_default="[]"),
    Column("status", Text, nullable=False, server_default="new"),
    PrimaryKeyConstraint("signature", "endpoint", name="pk_signatures"),
    CheckConstraint(_in("status", SIGNATURE_STATUS_VALUES), name="ck_signatures_status"),
)

run_checkpoints = Table(
    "run_checkpoints",
    metadata,
    Column("run_id", Text, nullable=False),
    # One unit of a reprocess source: a capture, or one partition of an archive.
    Column("unit", Text, nullable=False),
    # Reading resumes at this record of this file: every request before is stored.
    Column("file", Text, nullable=False),
    Column("record", BigInteger, nullable=False),
    Column("watermark", UTCDateTime),
    Column("done", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("run_id", "unit", name="pk_run_checkpoints"),
    ForeignKeyConstraint(
        ["run_id"], ["runs.id"], name="fk_run_checkpoints_run", ondelete="CASCADE"
    ),
)
