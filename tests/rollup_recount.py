"""The rollups as stored, and the same figures recounted from the raw rows.

Used by the store's contract tests and by the fault tests: after replays,
kills and restarts, the rollups the writer kept must equal a recount of the
comparisons actually stored, exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from storage import latency
from storage.models import (
    VERDICT_COLUMNS,
    comparisons,
    endpoint_minutes,
    signature_hours,
    signature_minutes,
)

MinuteKey = tuple[str, datetime]
MinuteFigures = tuple[int, dict[str, int], latency.Histogram, latency.Histogram]


def _minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)


def stored(engine: sa.Engine, run_id: str) -> tuple[dict[MinuteKey, Any], dict[Any, int]]:
    """(endpoint minutes, signature minutes) of `run_id` as the rollup tables hold them."""
    minutes: dict[MinuteKey, MinuteFigures] = {}
    signatures: dict[tuple[str, str, datetime], int] = {}
    with engine.connect() as connection:
        for row in connection.execute(
            sa.select(endpoint_minutes).where(endpoint_minutes.c.run_id == run_id)
        ).mappings():
            counts = {v: row[c] for v, c in VERDICT_COLUMNS.items() if row[c]}
            minutes[row["endpoint"], row["minute"]] = (
                row["total"],
                counts,
                latency.decode(row["primary_latency"]),
                latency.decode(row["candidate_latency"]),
            )
        for row in connection.execute(
            sa.select(signature_minutes).where(signature_minutes.c.run_id == run_id)
        ).mappings():
            signatures[row["endpoint"], row["signature"], row["minute"]] = row["count"]
        hours: dict[tuple[str, str, datetime], int] = {}
        for row in connection.execute(
            sa.select(signature_hours).where(signature_hours.c.run_id == run_id)
        ).mappings():
            hours[row["endpoint"], row["signature"], row["hour"]] = row["count"]
    # The hours must be the minutes summed: checked here, so every caller checks it.
    summed: dict[tuple[str, str, datetime], int] = {}
    for (endpoint, signature, minute), count in signatures.items():
        key = (endpoint, signature, minute.replace(minute=0))
        summed[key] = summed.get(key, 0) + count
    assert hours == summed, "signature_hours is not the sum of signature_minutes"
    return minutes, signatures


def recounted(engine: sa.Engine, run_id: str) -> tuple[dict[MinuteKey, Any], dict[Any, int]]:
    """The same two tables, recounted from the `comparisons` rows of `run_id`."""
    minutes: dict[MinuteKey, MinuteFigures] = {}
    signatures: dict[tuple[str, str, datetime], int] = {}
    c = comparisons.c
    query = sa.select(
        c.endpoint,
        c.observed_at,
        c.verdict,
        c.signature,
        c.primary_latency_ms,
        c.candidate_latency_ms,
    ).where(c.run_id == run_id)
    with engine.connect() as connection:
        for endpoint, at, verdict, signature, p_ms, c_ms in connection.execute(query):
            key = (endpoint, _minute(at))
            total, counts, primary, candidate = minutes.get(key, (0, {}, {}, {}))
            counts[verdict] = counts.get(verdict, 0) + 1
            latency.add(primary, p_ms)
            latency.add(candidate, c_ms)
            minutes[key] = (total + 1, counts, primary, candidate)
            if signature is not None:
                skey = (endpoint, signature, _minute(at))
                signatures[skey] = signatures.get(skey, 0) + 1
    return minutes, signatures
