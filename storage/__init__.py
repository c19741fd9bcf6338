"""The result store: schema, idempotent batch writer, and queries.

PostgreSQL in production, SQLite for the embedded default; the same code and
the same contract tests serve both. Imports `comparator` for its types only.

The names below are imported on first use, not with the package: a command
that needs one submodule (the time specs, the queries) should not pay for the
writer, PostgreSQL's driver and Alembic. `_HOMES` says where each name lives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.engine import (
        NotADatabase,
        SchemaMissing,
        StorageError,
        StoreUnavailable,
        connect,
        safe_url,
    )
    from storage.migrate import current_revision, head_revision, upgrade
    from storage.mismatches import EndpointReport, MismatchReport, PathCount, mismatch_report
    from storage.models import LIVE_RUN, RunKind, SignatureStatus
    from storage.queries import ComparisonDetail, DifferenceDetail, Pruned, comparison_detail
    from storage.redaction import DEFAULT_REDACTION_KEY, Redactor
    from storage.writer import ResultWriter, ensure_run

_HOMES = {
    "NotADatabase": "storage.engine",
    "SchemaMissing": "storage.engine",
    "StorageError": "storage.engine",
    "StoreUnavailable": "storage.engine",
    "connect": "storage.engine",
    "safe_url": "storage.engine",
    "current_revision": "storage.migrate",
    "head_revision": "storage.migrate",
    "upgrade": "storage.migrate",
    "LIVE_RUN": "storage.models",
    "RunKind": "storage.models",
    "SignatureStatus": "storage.models",
    "ComparisonDetail": "storage.queries",
    "DifferenceDetail": "storage.queries",
    "EndpointReport": "storage.mismatches",
    "MismatchReport": "storage.mismatches",
    "PathCount": "storage.mismatches",
    "Pruned": "storage.queries",
    "comparison_detail": "storage.queries",
    "mismatch_report": "storage.mismatches",
    "DEFAULT_REDACTION_KEY": "storage.redaction",
    "Redactor": "storage.redaction",
    "ResultWriter": "storage.writer",
    "ensure_run": "storage.writer",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    try:  # a submodule read as an attribute, as `storage.writer.LIVE_RUN`
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


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
