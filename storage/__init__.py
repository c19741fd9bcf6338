"""The result store: schema, idempotent batch writer, and queries.

PostgreSQL in production, SQLite for the embedded default; the same code and
the same contract tests serve both. Imports `comparator` for its types only.
"""

from storage.engine import (
    NotADatabase,
    SchemaMissing,
    StorageError,
    StoreUnavailable,
    connect,
    safe_url,
)
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import LIVE_RUN, RunKind, SignatureStatus
from storage.queries import (
    ComparisonDetail,
    DifferenceDetail,
    EndpointReport,
    MismatchReport,
    PathCount,
    Pruned,
    comparison_detail,
    mismatch_report,
)
from storage.redaction import DEFAULT_REDACTION_KEY, Redactor
from storage.writer import ResultWriter, ensure_run

__all__ = [
    "DEFAULT_REDACTION_KEY",
    "LIVE_RUN",
    "ComparisonDetail",
    "DifferenceDetail",
    "EndpointReport",
    "MismatchReport",
    "NotADatabase",
    "PathCount",
    "Pruned",
    "Redactor",
    "ResultWriter",
    "RunKind",
    "SchemaMissing",
    "SignatureStatus",
    "StorageError",
    "StoreUnavailable",
    "comparison_detail",
    "connect",
    "current_revision",
    "ensure_run",
    "head_revision",
    "mismatch_report",
    "safe_url",
    "upgrade",
]
