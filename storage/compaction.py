"""Latency compacted per 5 minutes, off the write path.

A week's time series of a busy endpoint reads 10,080 minute rows, and adding
their latency histograms up is Python's work per bucket per minute: it grew
with traffic. `compact` folds each 5-minute span's minute histograms into one
dense histogram (`storage.latency.Dense`) in `latency_spans`, which a reader
adds up in C loops, five times fewer of them.

The writer is not involved: its cost per batch is what the store is measured
by, and it stays as it was. Instead a span remembers the sum of the minute
totals it was made from, and a reader trusts it only while the span's minutes
(as the reader counts them, within its window) still add up to that. Minute
totals only grow (retention deletes whole minutes and the spans that touch
them), so equal sums mean the same minutes as compacted. A late record, the
span still filling, a window starting mid-span or a span never compacted
sends the reader to the minutes for that span alone: stale is slower, never
wrong.

The worker leader compacts the live run's last day (of event time) every
minute, and its whole history once when it starts (`streams.app`); `demo` and
`reprocess` compact their run at the end. A span changed after it left that
day (a very late record) is read from its minutes until the next start.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
)

from storage import latency
from storage.engine import guard
from storage.models import LIVE_RUN, UTCDateTime, endpoint_minutes, latency_spans
from storage.writer_sql import insert

SPAN = timedelta(minutes=5)
SPAN_SECONDS = 300

LOOKBACK = timedelta(days=1)
"""How far before the latest minute the periodic compaction looks for changed spans."""

CHUNK_SPANS = 288
"""Spans read and written per transaction (a day's), bounding memory and locks."""

MAX_RANGES = 64
"""Above this many separate runs of stale spans a read takes their whole extent."""

SpanKey = tuple[str, int]
"""(endpoint, span number)."""


@dataclass(frozen=True, slots=True)
class Compaction:
    """What one `compact` did."""

    stale: int
    """Spans found changed since compacted (or never compacted)."""
    spans: int
    """Spans written."""


def span_of(instant: datetime) -> int:
    """The number of the 5-minute span that holds `instant` (seconds since the epoch // 300)."""
    return int(instant.timestamp()) // SPAN_SECONDS


def span_start(span: int) -> datetime:
    return datetime.fromtimestamp(span * SPAN_SECONDS, UTC)


def epoch_bucket(dialect: str, column: str = "m.minute", seconds: int | str = ":step") -> str:
    """SQL for the number of the epoch-aligned bucket of `seconds` that holds `column`."""
    if dialect == "postgresql":
        return f"floor(extract(epoch FROM {column}) / {seconds})::bigint"
    return f"CAST(strftime('%s', {column}) AS INTEGER) / {seconds}"


def joined_histograms(dialect: str, column: ColumnElement[str]) -> ColumnElement[str]:
    """A group's stored histograms joined by commas into one text, which
    `latency.decode` parses in one go and adds up."""
    comma: ColumnElement[str] = literal_column("','")
    if dialect == "postgresql":
        return func.string_agg(column, comma)
    return func.group_concat(column, comma)


def compact(
    engine: Engine, run_id: str = LIVE_RUN, *, lookback: timedelta | None = None
) -> Compaction:
    """(Re)compact every span of `run_id` whose minutes changed: all of them, or only
    within `lookback` of the run's latest minute (event time, so a replay of old
    traffic is compacted as it goes, like live traffic)."""
    with guard(engine), engine.connect() as connection:
        since = None
        if lookback is not None:
            em = endpoint_minutes
            latest = connection.execute(
                select(func.max(em.c.minute)).where(em.c.run_id == run_id)
            ).scalar_one()
            since = None if latest is None else latest - lookback
        stale = sorted(_stale(connection, run_id, since), key=lambda key: (key[1], key[0]))
    spans = 0
    for chunk in _chunks(stale):
        with guard(engine), engine.begin() as connection:
            found = _fold(connection, run_id, chunk)
            if found:
                connection.execute(_upsert(connection), found)
        spans += len(found)
    return Compaction(len(stale), spans)


def _stale(connection: Connection, run_id: str, since: datetime | None) -> set[SpanKey]:
    """Spans whose minutes add up to something else than when they were compacted."""
    ls = latency_spans
    span_where = [ls.c.run_id == run_id]
    where = "m.run_id = :run"
    params: dict[str, object] = {"run": run_id, "step": SPAN_SECONDS}
    if since is not None:
        first = span_of(since)
        span_where.append(ls.c.span >= first)
        where += " AND m.minute >= :since"
        params["since"] = span_start(first)
    compacted = {
        (endpoint, span): total
        for endpoint, span, total in connection.execute(
            select(ls.c.endpoint, ls.c.span, ls.c.total).where(*span_where)
        )
    }
    sums = text(
        f"SELECT m.endpoint, {epoch_bucket(connection.dialect.name)} AS s, sum(m.total) "
        f"FROM endpoint_minutes AS m WHERE {where} GROUP BY m.endpoint, s"
    )
    if since is not None:
        sums = sums.bindparams(bindparam("since", type_=UTCDateTime))
    return {
        (endpoint, int(span))
        for endpoint, span, total in connection.execute(sums, params)
        if compacted.get((endpoint, int(span))) != total
    }


def _chunks(stale: list[SpanKey]) -> Iterator[list[SpanKey]]:
    """The stale spans in groups covering at most `CHUNK_SPANS` spans of time each."""
    chunk: list[SpanKey] = []
    for key in stale:
        if chunk and key[1] - chunk[0][1] >= CHUNK_SPANS:
            yield chunk
            chunk = []
        chunk.append(key)
    if chunk:
        yield chunk


def _fold(connection: Connection, run_id: str, chunk: list[SpanKey]) -> list[dict[str, object]]:
    """The `latency_spans` rows of `chunk`'s spans, from one read of their minutes."""
    totals, histograms = read_minutes(connection, run_id, set(chunk))
    rows = [
        {
            "run_id": run_id,
            "endpoint": endpoint,
            "span": span,
            "total": totals[endpoint, span],
            "primary_latency": orjson.dumps(latency.to_dense(primary)).decode(),
            "candidate_latency": orjson.dumps(latency.to_dense(candidate)).decode(),
        }
        for (endpoint, span), (primary, candidate) in histograms.items()
    ]
    return rows


def span_latency(
    connection: Connection,
    run_id: str,
    totals: dict[SpanKey, int],
    *,
    since: datetime,
    until: datetime,
) -> dict[SpanKey, tuple[latency.Dense, latency.Dense]]:
    """Each span's (primary, candidate) latency within [since, until), given its minute
    totals there: from its compacted row where that still adds up, else from its minutes."""
    ls = latency_spans
    query = select(
        ls.c.endpoint, ls.c.span, ls.c.total, ls.c.primary_latency, ls.c.candidate_latency
    ).where(
        ls.c.run_id == run_id,
        ls.c.span >= span_of(since),
        ls.c.span <= span_of(until - timedelta(microseconds=1)),
    )
    endpoints = {endpoint for endpoint, _ in totals}
    if len(endpoints) == 1:
        query = query.where(ls.c.endpoint == next(iter(endpoints)))
    found: dict[SpanKey, tuple[latency.Dense, latency.Dense]] = {}
    for endpoint, span, total, primary, candidate in connection.execute(query).all():
        if totals.get((endpoint, span)) == total:
            found[endpoint, span] = (orjson.loads(primary), orjson.loads(candidate))
    stale = set(totals).difference(found)
    _, merged = read_minutes(connection, run_id, stale, since=since, until=until)
    for key, (primary_histogram, candidate_histogram) in merged.items():
        found[key] = (latency.to_dense(primary_histogram), latency.to_dense(candidate_histogram))
    return found


def read_minutes(
    connection: Connection,
    run_id: str,
    wanted: set[SpanKey],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[dict[SpanKey, int], dict[SpanKey, tuple[latency.Histogram, latency.Histogram]]]:
    """The `wanted` spans' minute totals and merged histograms, within [since, until).

    One read, grouped by span in the server, over the runs of consecutive
    wanted spans (all of their extent past `MAX_RANGES` runs).
    """
    if not wanted:
        return {}, {}
    em = endpoint_minutes
    dialect = connection.dialect.name
    ranges = [
        and_(em.c.minute >= span_start(first), em.c.minute < span_start(last + 1))
        for first, last in _runs(sorted({span for _, span in wanted}))
    ]
    where = [em.c.run_id == run_id, or_(*ranges)]
    if since is not None:
        where.append(em.c.minute >= since)
    if until is not None:
        where.append(em.c.minute < until)
    endpoints = {endpoint for endpoint, _ in wanted}
    if len(endpoints) == 1:
        where.append(em.c.endpoint == next(iter(endpoints)))
    bucket = epoch_bucket(dialect, "endpoint_minutes.minute", SPAN_SECONDS)
    span: ColumnElement[int] = literal_column(bucket)
    query = (
        select(
            em.c.endpoint,
            span.label("s"),
            func.sum(em.c.total),
            joined_histograms(dialect, em.c.primary_latency),
            joined_histograms(dialect, em.c.candidate_latency),
        )
        .where(*where)
        .group_by(em.c.endpoint, literal_column("s"))
    )
    totals: dict[SpanKey, int] = {}
    merged: dict[SpanKey, tuple[latency.Histogram, latency.Histogram]] = {}
    for endpoint, number, total, primary, candidate in connection.execute(query):
        key = (endpoint, int(number))
        if key in wanted:
            totals[key] = int(total)
            merged[key] = (latency.decode(primary), latency.decode(candidate))
    return totals, merged


def _runs(spans: list[int]) -> list[tuple[int, int]]:
    """Sorted span numbers as (first, last) runs of consecutive ones (one run past MAX_RANGES)."""
    runs: list[tuple[int, int]] = []
    for span in spans:
        if runs and span == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], span)
        else:
            runs.append((span, span))
    if len(runs) > MAX_RANGES:
        return [(runs[0][0], runs[-1][1])]
    return runs


def _upsert(connection: Connection) -> Any:
    statement = insert(connection, latency_spans)
    return statement.on_conflict_do_update(
        index_elements=["run_id", "endpoint", "span"],
        set_={
            "total": statement.excluded.total,
            "primary_latency": statement.excluded.primary_latency,
            "candidate_latency": statement.excluded.candidate_latency,
        },
    )
