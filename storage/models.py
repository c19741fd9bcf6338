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
    text,
)

from comparator.model import Kind, Verdict

RunKind = Literal["live", "reprocess"]
"""A run is the live stream's (id "live") or one reprocessing of historic traffic."""

RunState = Literal["running", "interrupted", "complete"]
"""Whether a run's source is being read (the live run always is), was stopped
before its end (the same reprocess command resumes it), or was read to its end."""

SignatureStatus = Literal["new", "expected", "fixed"]
"""Triage state of a signature: not yet looked at, accepted as intended, or fixed."""

ShownStatus = Literal["new", "expected", "fixed", "regressed"]
"""A signature's status as reports show it: its triage state, or `regressed` when
it was marked fixed and traffic observed after the mark has it again."""

LIVE_RUN = "live"


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


VERDICT_VALUES: tuple[str, ...] = tuple(v.value for v in Verdict)
KIND_VALUES: tuple[str, ...] = tuple(k.value for k in Kind)
RUN_KIND_VALUES: tuple[str, ...] = get_args(RunKind)
RUN_STATE_VALUES: tuple[str, ...] = get_args(RunState)
SIGNATURE_STATUS_VALUES: tuple[str, ...] = get_args(SignatureStatus)
SHOWN_STATUS_VALUES: tuple[str, ...] = get_args(ShownStatus)


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
    # `observed_at` is in the key because PostgreSQL partitions by it and a
    # unique key must hold the partition key. A replay re-derives the same
    # observed_at (the primary's started_at, or the only side's), so the key
    # still makes every replay of a request a no-op (docs/design.md).
    PrimaryKeyConstraint("run_id", "request_id", "observed_at", name="pk_comparisons"),
    CheckConstraint(_in("verdict", VERDICT_VALUES), name="ck_comparisons_verdict"),
    Index("ix_comparisons_endpoint_observed_at", "run_id", "endpoint", "observed_at"),
    # The non-matching few, for examples and lists of problems, without
    # scanning the matches around them.
    Index(
        "ix_comparisons_unmatched",
        "run_id",
        "endpoint",
        "observed_at",
        postgresql_where=text("verdict <> 'match'"),
        sqlite_where=text("verdict <> 'match'"),
    ),
    # Rows keyed by the candidate's time instead of the primary's: what a replay
    # must look up to recognise a request it sees with other sides (see
    # `storage.rows.SIDES_APART`).
    Index(
        "ix_comparisons_missing_primary",
        "run_id",
        "request_id",
        postgresql_where=text("verdict = 'missing_primary'"),
        sqlite_where=text("verdict = 'missing_primary'"),
    ),
    postgresql_partition_by="RANGE (observed_at)",
)
"""One row per judged request per run. Range-partitioned by day on PostgreSQL
(`storage.partitions`); a plain table on SQLite."""

differences = Table(
    "differences",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    # The comparison's, so a day's differences sit in the same day's partition
    # and are pruned with it.
    Column("observed_at", UTCDateTime, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("kind", Text, nullable=False),
    # JSON text (NULL: the side has no value); redacted before it gets here.
    Column("primary_value", Text),
    Column("candidate_value", Text),
    # No foreign key: the writer stores a comparison and its differences in one
    # transaction, and whole partitions are dropped together, which a foreign
    # key between partitioned tables would make a scan of the other table.
    PrimaryKeyConstraint("run_id", "request_id", "observed_at", "seq", name="pk_differences"),
    CheckConstraint(_in("kind", KIND_VALUES), name="ck_differences_kind"),
    postgresql_partition_by="RANGE (observed_at)",
)

signatures = Table(
    "signatures",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    # JSON array of [path template, kind]: the problem the signature names.
    Column("paths", Text, nullable=False, server_default="[]"),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    # A JSON array of a few request ids: the first ones stored.
    Column("example_request_ids", Text, nullable=False, server_default="[]"),
    Column("status", Text, nullable=False, server_default="new"),
    PrimaryKeyConstraint("run_id", "signature", "endpoint", name="pk_signatures"),
    CheckConstraint(_in("status", SIGNATURE_STATUS_VALUES), name="ck_signatures_status"),
)
"""The distinct problems of a run, all time: counts, first and last seen, examples."""

signature_marks = Table(
    "signature_marks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("signature", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("marked_at", UTCDateTime, nullable=False),
    Column("note", Text),
    CheckConstraint(_in("status", SIGNATURE_STATUS_VALUES), name="ck_signature_marks_status"),
    Index("ix_signature_marks_signature_endpoint", "signature", "endpoint", "id"),
)
"""Triage history: every mark of a (signature, endpoint), oldest first by `id`.

Triage is a property of the problem on its endpoint, the same in every run, so
marks carry no run; a signature's status is its latest mark (`new` without
one). `signatures.status` mirrors it for the runs stored when it was marked."""

VERDICT_COLUMNS: dict[str, str] = {v: f"n_{v}" for v in VERDICT_VALUES}
"""The `endpoint_minutes` column that counts each verdict."""

endpoint_minutes = Table(
    "endpoint_minutes",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("minute", UTCDateTime, nullable=False),
    Column("total", Integer, nullable=False),
    *(
        Column(name, Integer, nullable=False, server_default="0")
        for name in VERDICT_COLUMNS.values()
    ),
    # Latency histograms (`storage.latency`): JSON objects of bucket -> count.
    Column("primary_latency", Text, nullable=False, server_default="{}"),
    Column("candidate_latency", Text, nullable=False, server_default="{}"),
    PrimaryKeyConstraint("run_id", "endpoint", "minute", name="pk_endpoint_minutes"),
    # Every endpoint's minutes of a window (the key serves one endpoint's).
    Index("ix_endpoint_minutes_minute", "run_id", "minute"),
)
"""Per run, endpoint and minute of event time: what every report reads."""

signature_minutes = Table(
    "signature_minutes",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("minute", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    # Time before signature: a window of one endpoint is one range of the key.
    PrimaryKeyConstraint("run_id", "endpoint", "minute", "signature", name="pk_signature_minutes"),
    Index("ix_signature_minutes_minute", "run_id", "minute"),
)
"""Per run, endpoint, signature and minute: how many requests had the problem."""

signature_hours = Table(
    "signature_hours",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("hour", UTCDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("run_id", "endpoint", "hour", "signature", name="pk_signature_hours"),
    Index("ix_signature_hours_hour", "run_id", "hour"),
)
"""The same counts per hour: a window's whole hours read here, only its edges by
the minute, so listing a day's problems reads the same few rows at any volume."""

latency_spans = Table(
    "latency_spans",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    # The span's number: its start in seconds since the epoch, divided by 300.
    Column("span", BigInteger, nullable=False),
    # The sum of the span's minute totals its histograms were made from.
    Column("total", Integer, nullable=False),
    # Dense histograms (`storage.latency.Dense`) as JSON arrays.
    Column("primary_latency", Text, nullable=False),
    Column("candidate_latency", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "endpoint", "span", name="pk_latency_spans"),
    Index("ix_latency_spans_span", "run_id", "span"),
)
"""Each endpoint's latency per 5 minutes, compacted from `endpoint_minutes` off the
write path (`storage.compaction`). A span is used only while its minutes still
add up to `total`; a late record or a window's ragged edge sends the reader back
to the minutes, so it is a cache that can be stale but never wrong."""

PrunedData = Literal["raw", "rollups"]
"""What retention removes: raw rows (comparisons, differences) or the minute rollups."""

pruned = Table(
    "pruned",
    metadata,
    Column("data", Text, primary_key=True),
    Column("before", UTCDateTime, nullable=False),
    CheckConstraint(_in("data", get_args(PrunedData)), name="ck_pruned_data"),
)
"""How far retention has removed each kind of data, so queries over that time
say it is gone rather than report no traffic."""

AlertState = Literal["firing", "resolved"]
"""An alert fires until its rule has stopped holding, then it is resolved."""

alerts = Table(
    "alerts",
    metadata,
    # Stable: a hash of rule, endpoint and the window that opened it (`analysis`),
    # so judging the same minutes again names the same alert.
    Column("id", Text, primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("window_start", UTCDateTime, nullable=False),
    Column("window_end", UTCDateTime, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    # The whole alert as JSON: the numbers that made it fire, examples, summary.
    Column("document", Text, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("state", get_args(AlertState)), name="ck_alerts_state"),
    Index("ix_alerts_run_opened_at", "run_id", "opened_at"),
)
"""Alerts raised by the built-in judge (`alerting.evaluator`), one row per alert."""


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

secondary_comparisons = Table(
    "secondary_comparisons",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    # JSON array of the folded paths where the secondary differed from the primary.
    Column("paths", Text, nullable=False, server_default="[]"),
    PrimaryKeyConstraint("run_id", "request_id", name="pk_secondary_comparisons"),
    Index("ix_secondary_comparisons_observed_at", "observed_at"),
)
"""A row per stored comparison that had a secondary (`storage.secondary`): raw, like
`comparisons`, and pruned with it."""

secondary_minutes = Table(
    "secondary_minutes",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("minute", UTCDateTime, nullable=False),
    Column("requests", Integer, nullable=False),
    PrimaryKeyConstraint("run_id", "endpoint", "minute", name="pk_secondary_minutes"),
    Index("ix_secondary_minutes_minute", "run_id", "minute"),
)
"""Per run, endpoint and minute: how many stored requests had a secondary."""

secondary_paths = Table(
    "secondary_paths",
    metadata,
    Column("run_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("minute", UTCDateTime, nullable=False),
    Column("path", Text, nullable=False),
    # Of the minute's requests with a secondary: how many the candidate differed
    # at the path (Diffy's raw), and how many the secondary did (its noise).
    Column("candidate", Integer, nullable=False),
    Column("secondary", Integer, nullable=False),
    PrimaryKeyConstraint("run_id", "endpoint", "minute", "path", name="pk_secondary_paths"),
    Index("ix_secondary_paths_minute", "run_id", "minute"),
)
"""Diffy's baseline per run, endpoint, folded path and minute."""

RUN_SCOPED_TABLES: tuple[Table, ...] = (
    differences,
    comparisons,
    signatures,
    endpoint_minutes,
    signature_minutes,
    signature_hours,
    latency_spans,
    alerts,
    run_checkpoints,
    secondary_comparisons,
    secondary_minutes,
    secondary_paths,
)
"""Every table whose rows belong to one run (`run_id`); `runs delete` empties each."""
