"""Rollups per minute of event time, kept by the writer in the batch's transaction.

Every report reads these instead of the raw rows, so a question over a day
costs the same at ten million rows as at ten thousand:

- `endpoint_minutes`: per run, endpoint and minute, the count of each verdict
  and each side's latency histogram (`storage.latency`);
- `signature_minutes`: per run, endpoint, signature and minute, a count;
- `signature_hours`: the same per hour, so long windows read few rows.

The writer calls `add` with exactly the results its insert reported new, so a
replayed batch, a restarted worker or a re-stored request adds nothing, and a
late record updates the minute it belongs to. Each upsert adds to the stored
row under its lock (concurrent writers never lose an increment), taking keys
in sorted order (no deadlock between writers touching the same minutes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, TextClause, bindparam, text

from comparator.model import Result, Verdict
from storage import latency
from storage.models import VERDICT_COLUMNS, UTCDateTime

_COUNTS = tuple(VERDICT_COLUMNS.values())


@dataclass(slots=True)
class EndpointMinute:
    """What a batch adds to one endpoint's minute."""

    endpoint: str
    minute: datetime
    counts: dict[str, int]
    primary: latency.Histogram
    candidate: latency.Histogram

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class SignatureMinute:
    """How many of a batch's requests had one signature in one minute."""

    endpoint: str
    signature: str
    minute: datetime
    count: int


FOLD_AT = 1024
"""A minute's histogram column collects each batch's histogram as one more JSON
object (`{...},{...}`: appending is cheap) and is folded into one object by
the database only once its text reaches this many characters. Merging two
histograms in SQL costs far more than appending, and a busy minute sees a
batch every few hundred milliseconds; readers merge what they find anyway
(`storage.latency.decode`, `storage.timeseries`), and pay for every fragment:
at 4 KiB a week's series of a busy endpoint took 2.4 times as long to read."""

_COLUMN_OF = {verdict: VERDICT_COLUMNS[verdict.value] for verdict in Verdict}


def deltas(results: Iterable[Result]) -> tuple[list[EndpointMinute], list[SignatureMinute]]:
    """What `results` add to each rollup, each list in key order.

    This runs for every stored result, so it is one pass with the bucket
    arithmetic inline (`storage.latency.bucket`, whose definition it follows).
    """
    found: dict[tuple[str, datetime], EndpointMinute] = {}
    problems: dict[tuple[str, str, datetime], int] = {}
    log2, floor, per_doubling = math.log2, math.floor, latency.BUCKETS_PER_DOUBLING
    for result in results:
        endpoint = result.endpoint
        minute = result.observed_at.replace(second=0, microsecond=0)
        entry = found.get((endpoint, minute))
        if entry is None:
            entry = found[endpoint, minute] = EndpointMinute(endpoint, minute, {}, {}, {})
        comparison = result.comparison
        column = _COLUMN_OF[comparison.verdict]
        counts = entry.counts
        counts[column] = counts.get(column, 0) + 1
        for ms, histogram in (
            (result.primary_latency_ms, entry.primary),
            (result.candidate_latency_ms, entry.candidate),
        ):
            if ms is not None:
                index = (
                    1 + floor(per_doubling * log2(ms)) if 1.0 <= ms < 1e300 else latency.bucket(ms)
                )
                histogram[index] = histogram.get(index, 0) + 1
        signature = comparison.signature
        if signature is not None:
            key = (endpoint, signature, minute)
            problems[key] = problems.get(key, 0) + 1
    return (
        [found[key] for key in sorted(found)],
        [SignatureMinute(*key, count) for key, count in sorted(problems.items())],
    )


def add(connection: Connection, run_id: str, new: list[Result]) -> None:
    """Add the newly stored `new` results of `run_id` to the rollups.

    On PostgreSQL the writer sends `postgres_statements` itself, in one
    pipeline with its other statements; this runs them one by one.
    """
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            for statement, params in postgres_statements(run_id, new):
                cursor.execute(statement, params)
        return
    minutes, signatures = deltas(new)
    if minutes:
        _add_generic(connection, run_id, minutes, signatures)


# -- PostgreSQL: one JSON parameter per table, set-based in the server --------

_PG_COUNTS_IN = ", ".join(f"{c} int4" for c in _COUNTS)
_PG_HISTOGRAM_MERGE = """CASE
        WHEN excluded.{0} = '{{}}' THEN t.{0}
        WHEN t.{0} = '{{}}' THEN excluded.{0}
        WHEN length(t.{0}) < %(fold_at)s THEN t.{0} || ',' || excluded.{0}
        ELSE (SELECT json_object_agg(k, n ORDER BY k::int4)::text FROM (
            SELECT h.key AS k, sum(h.value::int4)::int4 AS n
            FROM json_array_elements(('[' || t.{0} || ',' || excluded.{0} || ']')::json) AS o,
                json_each_text(o) AS h
            GROUP BY h.key) AS merged)
    END"""

_PG_ENDPOINT_MINUTES = f"""
INSERT INTO endpoint_minutes AS t
    (run_id, endpoint, minute, total, {", ".join(_COUNTS)}, primary_latency, candidate_latency)
SELECT %(run)s, endpoint, minute, total, {", ".join(_COUNTS)},
    primary_latency::text, candidate_latency::text
FROM json_to_recordset(%(rows)s::json) AS d(
    endpoint text, minute timestamptz, total int4, {_PG_COUNTS_IN},
    primary_latency json, candidate_latency json)
ORDER BY endpoint COLLATE "C", minute
ON CONFLICT (run_id, endpoint, minute) DO UPDATE SET
    total = t.total + excluded.total,
    {", ".join(f"{c} = t.{c} + excluded.{c}" for c in _COUNTS)},
    primary_latency = {_PG_HISTOGRAM_MERGE.format("primary_latency")},
    candidate_latency = {_PG_HISTOGRAM_MERGE.format("candidate_latency")}
"""

_PG_SIGNATURE_COUNTS = """
INSERT INTO signature_{grain}s AS t (run_id, endpoint, signature, {grain}, count)
SELECT %(run)s, endpoint, signature, minute, count
FROM json_to_recordset(%(rows)s::json) AS d(
    endpoint text, signature text, minute timestamptz, count int4)
ORDER BY endpoint COLLATE "C", signature COLLATE "C", minute
ON CONFLICT (run_id, endpoint, signature, {grain}) DO UPDATE SET count = t.count + excluded.count
"""
_PG_SIGNATURE_MINUTES = _PG_SIGNATURE_COUNTS.format(grain="minute")
_PG_SIGNATURE_HOURS = _PG_SIGNATURE_COUNTS.format(grain="hour")


def _minute_dicts(minutes: list[EndpointMinute]) -> list[dict[str, Any]]:
    rows = []
    for m in minutes:
        row: dict[str, Any] = {"endpoint": m.endpoint, "minute": m.minute, "total": m.total}
        for column in _COUNTS:
            row[column] = m.counts.get(column, 0)
        row["primary_latency"] = latency.encode(m.primary)
        row["candidate_latency"] = latency.encode(m.candidate)
        rows.append(row)
    return rows


def postgres_statements(run_id: str, new: list[Result]) -> list[tuple[str, dict[str, Any]]]:
    """The upserts (statement, parameters) that add `new` to the rollups on PostgreSQL."""
    minutes, signatures = deltas(new)
    if not minutes:
        return []
    minute_rows = _minute_dicts(minutes)
    for row in minute_rows:  # json_to_recordset reads a json column as JSON
        row["primary_latency"] = orjson.Fragment(row["primary_latency"])
        row["candidate_latency"] = orjson.Fragment(row["candidate_latency"])
    params = {"run": run_id, "rows": orjson.dumps(minute_rows).decode(), "fold_at": FOLD_AT}
    statements: list[tuple[str, dict[str, Any]]] = [(_PG_ENDPOINT_MINUTES, params)]
    if signatures:
        rows = orjson.dumps(signatures).decode()
        statements.append((_PG_SIGNATURE_MINUTES, {"run": run_id, "rows": rows}))
        rows = orjson.dumps(by_hour(signatures)).decode()
        statements.append((_PG_SIGNATURE_HOURS, {"run": run_id, "rows": rows}))
    return statements


def by_hour(signatures: list[SignatureMinute]) -> list[SignatureMinute]:
    """The same counts summed per hour (`minute` then holds the hour's start), in key order."""
    counts: dict[tuple[str, str, datetime], int] = {}
    for s in signatures:
        key = (s.endpoint, s.signature, s.minute.replace(minute=0))
        counts[key] = counts.get(key, 0) + s.count
    return [SignatureMinute(*key, count) for key, count in sorted(counts.items())]


# -- every other dialect (SQLite): the same upserts, row by row ---------------

_GENERIC_HISTOGRAM_MERGE = """CASE
        WHEN excluded.{0} = '{{}}' THEN {0}
        WHEN {0} = '{{}}' THEN excluded.{0}
        WHEN length({0}) < :fold_at THEN {0} || ',' || excluded.{0}
        ELSE (SELECT json_group_object(k, n) FROM (
            SELECT h.key AS k, sum(h.value) AS n
            FROM json_each('[' || endpoint_minutes.{0} || ',' || excluded.{0} || ']') AS o,
                json_each(o.value) AS h
            GROUP BY h.key ORDER BY CAST(h.key AS INTEGER)))
    END"""

_GENERIC_ENDPOINT_MINUTES = f"""
INSERT INTO endpoint_minutes
    (run_id, endpoint, minute, total, {", ".join(_COUNTS)}, primary_latency, candidate_latency)
VALUES (:run, :endpoint, :minute, :total, {", ".join(f":{c}" for c in _COUNTS)},
    :primary_latency, :candidate_latency)
ON CONFLICT (run_id, endpoint, minute) DO UPDATE SET
    total = total + excluded.total,
    {", ".join(f"{c} = {c} + excluded.{c}" for c in _COUNTS)},
    primary_latency = {_GENERIC_HISTOGRAM_MERGE.format("primary_latency")},
    candidate_latency = {_GENERIC_HISTOGRAM_MERGE.format("candidate_latency")}
"""

_GENERIC_SIGNATURE_COUNTS = """
INSERT INTO signature_{grain}s (run_id, endpoint, signature, {grain}, count)
VALUES (:run, :endpoint, :signature, :minute, :count)
ON CONFLICT (run_id, endpoint, signature, {grain}) DO UPDATE SET count = count + excluded.count
"""


def _add_generic(
    connection: Connection,
    run_id: str,
    minutes: list[EndpointMinute],
    signatures: list[SignatureMinute],
) -> None:
    rows = _minute_dicts(minutes)
    for row in rows:
        row["run"] = run_id
        row["fold_at"] = FOLD_AT
    connection.execute(_typed(_GENERIC_ENDPOINT_MINUTES), rows)
    for grain, counts in (("minute", signatures), ("hour", by_hour(signatures))):
        if counts:
            connection.execute(
                _typed(_GENERIC_SIGNATURE_COUNTS.format(grain=grain)),
                [
                    {
                        "run": run_id,
                        "endpoint": s.endpoint,
                        "signature": s.signature,
                        "minute": s.minute,
                        "count": s.count,
                    }
                    for s in counts
                ],
            )


def _typed(statement: str) -> TextClause:
    # The minute goes through the column's type, so SQLite stores it in the
    # same text form as every other timestamp (and the keys compare equal).
    return text(statement).bindparams(bindparam("minute", type_=UTCDateTime))
