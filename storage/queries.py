"""Read side of the result store: the window and rollup reads reports share, one comparison.

Everything returned is a frozen value object; the commands format them and
nothing here prints. Time bounds are half-open: `since <= observed_at < until`.
Reports read the minute rollups (`storage.rollups`), so their bounds are whole
minutes: a bound inside a minute is widened to take that minute whole.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
    Table,
    and_,
    case,
    func,
    or_,
    select,
    union_all,
)

from comparator.model import Verdict
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import (
    LIVE_RUN,
    comparisons,
    differences,
    endpoint_minutes,
    pruned,
    signature_hours,
    signature_minutes,
    signatures,
)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What retention has removed inside a query's window: gone, not zero.

    `raw_before`: raw rows (comparisons, differences: examples, `show`) before
    this instant are gone; `rollups_before`: counts before it are gone. Each is
    None when the window does not reach back that far.
    """

    raw_before: datetime | None = None
    rollups_before: datetime | None = None

    @classmethod
    def of(cls, gone: dict[str, datetime], since: datetime | None) -> Pruned:
        def reaches(before: datetime | None) -> datetime | None:
            return before if before is not None and (since is None or since < before) else None

        return cls(reaches(gone.get("raw")), reaches(gone.get("rollups")))

    def to_json(self) -> dict[str, str | None]:
        return {
            "raw_before": self.raw_before.isoformat() if self.raw_before else None,
            "rollups_before": self.rollups_before.isoformat() if self.rollups_before else None,
        }

    def notes(self) -> list[str]:
        """Lines a text report prints, so pruned time never reads as no traffic."""
        lines = []
        if self.rollups_before is not None:
            lines.append(
                f"note: counts before {self.rollups_before.isoformat()} were pruned "
                "(retention); that time is missing from these figures, not quiet"
            )
        if self.raw_before is not None:
            lines.append(
                f"note: raw rows before {self.raw_before.isoformat()} were pruned: "
                "no examples or details from before then"
            )
        return lines


@dataclass(frozen=True, slots=True)
class DifferenceDetail:
    """One stored difference; values decoded from their JSON text (None: no value)."""

    path: str
    kind: str
    primary: Any
    candidate: Any


@dataclass(frozen=True, slots=True)
class ComparisonDetail:
    """One stored comparison with its differences in their original order."""

    run_id: str
    request_id: str
    endpoint: str
    method: str
    observed_at: datetime
    verdict: str
    primary_status: int | None
    candidate_status: int | None
    primary_latency_ms: float | None
    candidate_latency_ms: float | None
    signature: str | None
    rules_version: str
    differences: tuple[DifferenceDetail, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "request_id": self.request_id,
            "verdict": self.verdict,
            "endpoint": self.endpoint,
            "method": self.method,
            "observed_at": self.observed_at.isoformat(),
            "primary_status": self.primary_status,
            "candidate_status": self.candidate_status,
            "primary_latency_ms": self.primary_latency_ms,
            "candidate_latency_ms": self.candidate_latency_ms,
            "signature": self.signature,
            "rules_version": self.rules_version,
            "differences": [
                {"path": d.path, "kind": d.kind, "primary": d.primary, "candidate": d.candidate}
                for d in self.differences
            ],
        }


def whole_minutes(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """[since, until) widened to whole minutes, the rollups' resolution.

    `since` goes down to the start of its minute, `until` up to the end of its
    own (unless it is a minute's start), so a window never loses what it asked
    for; an open bound stays open.
    """
    start = None if since is None else since.replace(second=0, microsecond=0)
    end = None
    if until is not None:
        end = until.replace(second=0, microsecond=0)
        if end != until:
            end += timedelta(minutes=1)
    return start, end


def known_endpoints(engine: Engine, run_id: str = LIVE_RUN) -> list[str]:
    """Every endpoint the run has traffic of, by name (for naming the closest to a typo)."""
    em = endpoint_minutes
    query = select(em.c.endpoint).where(em.c.run_id == run_id).distinct()
    with guard(engine), engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


def minute_filters(
    table: Table, run_id: str, endpoint: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """WHERE terms over a rollup table: run, endpoint, and the minutes in [since, until).

    The bounds must be whole minutes already (`whole_minutes`).
    """
    conditions = [table.c.run_id == run_id]
    if endpoint is not None:
        conditions.append(table.c.endpoint == endpoint)
    if since is not None:
        conditions.append(table.c.minute >= since)
    if until is not None:
        conditions.append(table.c.minute < until)
    return conditions


def signature_counts(
    run_id: str, endpoint: str | None, since: datetime | None, until: datetime | None
) -> Subquery:
    """(endpoint, signature, n): requests per problem in [since, until) (whole minutes).

    The window's whole hours are read from `signature_hours`, only its ragged
    edges from `signature_minutes`, so a day costs about 24 rows per problem
    whatever the traffic.
    """
    rows = signature_rows(run_id, endpoint, since, until)
    return (
        select(rows.c.endpoint, rows.c.signature, func.sum(rows.c["count"]).label("n"))
        .group_by(rows.c.endpoint, rows.c.signature)
        .subquery()
    )


def signature_rows(
    run_id: str,
    endpoint: str | None,
    since: datetime | None,
    until: datetime | None,
    *,
    hours: bool = True,
    only: Collection[str] | None = None,
) -> Subquery:
    """(endpoint, signature, at, count): the signature rollup rows of [since, until)
    (whole minutes), named `signature_rows`.

    With `hours`, the window's whole hours come from `signature_hours` (`at` an
    hour) and only its edges from `signature_minutes`; without, every row is a
    minute, for readers that need finer than an hour. `only` keeps those signatures.
    """
    sm, sh = signature_minutes, signature_hours
    first_hour = None if since is None else _ceil_hour(since)
    last_hour = None if until is None else until.replace(minute=0)
    parts = []
    if not hours or (first_hour is not None and last_hour is not None and first_hour >= last_hour):
        parts.append(_counted(sm, sm.c.minute, run_id, endpoint, since, until, only))
    else:
        parts.append(_counted(sh, sh.c.hour, run_id, endpoint, first_hour, last_hour, only))
        if since is not None and first_hour is not None and since < first_hour:
            parts.append(_counted(sm, sm.c.minute, run_id, endpoint, since, first_hour, only))
        if until is not None and last_hour is not None and last_hour < until:
            parts.append(_counted(sm, sm.c.minute, run_id, endpoint, last_hour, until, only))
    return union_all(*parts).subquery("signature_rows")


def signature_row(counted: Subquery, run_id: str) -> ColumnElement[bool]:
    """The join condition from a subquery of (endpoint, signature) to the run's `signatures` row."""
    sg = signatures.c
    return and_(
        sg.run_id == run_id,
        sg.signature == counted.c.signature,
        sg.endpoint == counted.c.endpoint,
    )


def _ceil_hour(instant: datetime) -> datetime:
    hour = instant.replace(minute=0, second=0, microsecond=0)
    return hour if hour == instant else hour + timedelta(hours=1)


def _counted(
    table: Table,
    at: ColumnElement[Any],
    run_id: str,
    endpoint: str | None,
    since: datetime | None,
    until: datetime | None,
    only: Collection[str] | None,
) -> Select[Any]:
    conditions = [table.c.run_id == run_id]
    if endpoint is not None:
        conditions.append(table.c.endpoint == endpoint)
    if since is not None:
        conditions.append(at >= since)
    if until is not None:
        conditions.append(at < until)
    if only is not None:
        conditions.append(table.c.signature.in_(sorted(only)))
    return select(table.c.endpoint, table.c.signature, at.label("at"), table.c["count"]).where(
        *conditions
    )


def stored_span(engine: Engine, run_id: str = LIVE_RUN) -> tuple[datetime, datetime] | None:
    """(first minute, end of the last minute) with stored traffic in the run, or None."""
    em = endpoint_minutes
    query = select(func.min(em.c.minute), func.max(em.c.minute)).where(em.c.run_id == run_id)
    with guard(engine), engine.connect() as connection:
        first, last = connection.execute(query).one()
    if first is None or last is None:
        return None
    return first, last + timedelta(minutes=1)


def pruned_before(connection: Connection) -> dict[str, datetime]:
    """How far retention has removed each kind of data ("raw", "rollups")."""
    return {row.data: row.before for row in connection.execute(select(pruned))}


EXAMPLE_SCAN = 200
"""Non-matching rows read per endpoint to pick examples from: a bound, however
many there are in the window."""


def latest_unmatched(
    engine: Engine,
    run_id: str,
    endpoint: str,
    since: datetime | None,
    until: datetime | None,
    wanted: int = 3,
) -> tuple[str, ...]:
    """The latest non-matching request ids of `endpoint` in [since, until), mismatches first."""
    with guard(engine), engine.connect() as connection:
        found = unmatched_examples(connection, run_id, [endpoint], since, until, wanted)
        return found.get(endpoint, ())


def unmatched_examples(
    connection: Connection,
    run_id: str,
    endpoints: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    wanted: int,
    *,
    leave_out: Mapping[str, Collection[str]] | None = None,
    only: Mapping[str, Collection[str]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Per endpoint, its latest non-matching request ids, mismatches first.

    `leave_out` drops, per endpoint, the requests of those signatures; `only`
    keeps, per endpoint, the requests of those signatures alone (an endpoint
    it names none for has no examples).

    One statement for every endpoint (a report of fifty endpoints paid ~28 ms
    of round trips and row fetching with one query each): per endpoint a
    bounded read of its latest `EXAMPLE_SCAN` non-matching rows (newest first,
    off the partial index), ranked in the database so only `wanted` per
    endpoint come back.
    """
    c = comparisons.c
    bounds = [c.run_id == run_id, c.verdict != Verdict.MATCH.value]
    if since is not None:
        bounds.append(c.observed_at >= since)
    if until is not None:
        bounds.append(c.observed_at < until)
    reads = []
    for endpoint in endpoints:
        conditions = [*bounds, c.endpoint == endpoint]
        dropped = (leave_out or {}).get(endpoint)
        if dropped:
            conditions.append(or_(c.signature.is_(None), c.signature.not_in(sorted(dropped))))
        if only is not None:
            kept = only.get(endpoint)
            if not kept:
                continue
            conditions.append(c.signature.in_(sorted(kept)))
        # Each read is a subquery of its own: a compound SELECT's members may not
        # carry LIMIT themselves on SQLite.
        reads.append(
            select(c.endpoint, c.request_id, c.verdict, c.observed_at)
            .where(*conditions)
            .order_by(c.observed_at.desc(), c.request_id)
            .limit(EXAMPLE_SCAN)
            .subquery()
        )
    if not reads or wanted <= 0:
        return {}
    latest = union_all(*(select(*read.c) for read in reads)).subquery()
    mismatch_first = case((latest.c.verdict == Verdict.MISMATCH.value, 0), else_=1)
    rank = (
        func.row_number()
        .over(
            partition_by=latest.c.endpoint,
            order_by=(mismatch_first, latest.c.observed_at.desc(), latest.c.request_id),
        )
        .label("rank")
    )
    ranked = select(latest.c.endpoint, latest.c.request_id, rank).subquery()
    rows = connection.execute(
        select(ranked.c.endpoint, ranked.c.request_id)
        .where(ranked.c.rank <= wanted)
        .order_by(ranked.c.endpoint, ranked.c.rank)
    )
    found: dict[str, list[str]] = {}
    for endpoint, request_id in rows:
        found.setdefault(endpoint, []).append(request_id)
    return {endpoint: tuple(ids) for endpoint, ids in found.items()}


def _decode(text: str | None) -> Any:
    return None if text is None else json_value(text)


def comparison_detail(
    engine: Engine, request_id: str, run_id: str = LIVE_RUN
) -> ComparisonDetail | None:
    """The stored comparison of `request_id` in `run_id`, or None if there is none."""
    c, d = comparisons, differences
    with guard(engine), engine.connect() as connection:
        row = connection.execute(
            select(c).where(c.c.run_id == run_id, c.c.request_id == request_id)
        ).one_or_none()
        if row is None:
            return None
        diff_rows: Sequence[Any] = connection.execute(
            select(d.c.path, d.c.kind, d.c.primary_value, d.c.candidate_value)
            .where(d.c.run_id == run_id, d.c.request_id == request_id)
            .order_by(d.c.seq)
        ).all()
    return ComparisonDetail(
        run_id=row.run_id,
        request_id=row.request_id,
        endpoint=row.endpoint,
        method=row.method,
        observed_at=row.observed_at,
        verdict=row.verdict,
        primary_status=row.primary_status,
        candidate_status=row.candidate_status,
        primary_latency_ms=row.primary_latency_ms,
        candidate_latency_ms=row.candidate_latency_ms,
        signature=row.signature,
        rules_version=row.rules_version,
        differences=tuple(
            DifferenceDetail(path, kind, _decode(primary), _decode(candidate))
            for path, kind, primary, candidate in diff_rows
        ),
    )
