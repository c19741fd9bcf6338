"""Read side of the result store: the mismatch report and one comparison's detail.

Everything returned is a frozen value object; the commands format them and
nothing here prints. Time bounds are half-open: `since <= observed_at < until`.
Reports read the minute rollups (`storage.rollups`), so their bounds are whole
minutes: a bound inside a minute is widened to take that minute whole.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    select,
    union_all,
)

from comparator.model import Kind, Verdict
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import (
    LIVE_RUN,
    VERDICT_COLUMNS,
    comparisons,
    differences,
    endpoint_minutes,
    pruned,
    signature_hours,
    signature_minutes,
    signatures,
)

MISMATCH_KINDS: tuple[str, ...] = tuple(k.value for k in Kind if k.is_mismatch)
ORPHAN_VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict if v.is_orphan)


@dataclass(frozen=True, slots=True)
class PathCount:
    """How many stored differences of `kind` sit at `path`."""

    path: str
    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class EndpointReport:
    """One endpoint's numbers over the report's time range.

    `mismatches` counts the verdict `mismatch` only; errors have their own
    entries in `verdicts`; `orphans` is missing_primary + missing_candidate.
    `examples` are the most recent non-matching request ids, mismatches first.
    """

    endpoint: str
    total: int
    verdicts: dict[str, int]
    top_paths: tuple[PathCount, ...]
    examples: tuple[str, ...]

    @property
    def mismatches(self) -> int:
        return self.verdicts.get(Verdict.MISMATCH.value, 0)

    @property
    def orphans(self) -> int:
        return sum(self.verdicts.get(v, 0) for v in ORPHAN_VERDICTS)

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "total": self.total,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "orphans": self.orphans,
            "verdicts": dict(self.verdicts),
            "top_paths": [
                {"path": p.path, "kind": p.kind, "count": p.count} for p in self.top_paths
            ],
            "examples": list(self.examples),
        }


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
class MismatchReport:
    """Per-endpoint numbers for one run, sorted by mismatches (most first)."""

    run_id: str
    since: datetime | None
    until: datetime | None
    endpoints: tuple[EndpointReport, ...]
    pruned: Pruned = field(default_factory=Pruned)

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "endpoints": [e.to_json() for e in self.endpoints],
            "pruned": self.pruned.to_json(),
        }


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
    sm, sh = signature_minutes, signature_hours
    first_hour = None if since is None else _ceil_hour(since)
    last_hour = None if until is None else until.replace(minute=0)
    parts = []
    if first_hour is not None and last_hour is not None and first_hour >= last_hour:
        parts.append(_counted(sm, sm.c.minute, run_id, endpoint, since, until))
    else:
        parts.append(_counted(sh, sh.c.hour, run_id, endpoint, first_hour, last_hour))
        if since is not None and first_hour is not None and since < first_hour:
            parts.append(_counted(sm, sm.c.minute, run_id, endpoint, since, first_hour))
        if until is not None and last_hour is not None and last_hour < until:
            parts.append(_counted(sm, sm.c.minute, run_id, endpoint, last_hour, until))
    both = union_all(*parts).subquery()
    return (
        select(both.c.endpoint, both.c.signature, func.sum(both.c["count"]).label("n"))
        .group_by(both.c.endpoint, both.c.signature)
        .subquery()
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
) -> Select[Any]:
    conditions = [table.c.run_id == run_id]
    if endpoint is not None:
        conditions.append(table.c.endpoint == endpoint)
    if since is not None:
        conditions.append(at >= since)
    if until is not None:
        conditions.append(at < until)
    return select(table.c.endpoint, table.c.signature, table.c["count"]).where(*conditions)


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


def mismatch_report(
    engine: Engine,
    endpoint: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str = LIVE_RUN,
    top_paths: int = 5,
    examples: int = 3,
) -> MismatchReport:
    """Per-endpoint totals, verdict counts, top differing paths and examples.

    Counts come from the minute rollups, so the bounds are widened to whole
    minutes (`whole_minutes`; the report carries the bounds used). Top paths
    count the requests whose
    problem (signature) includes a differing (path template, kind), array
    indices folded, tolerated differences left out, most frequent first (ties
    by path). Examples come from a bounded read of the latest non-matching rows.
    """
    since, until = whole_minutes(since, until)
    em = endpoint_minutes
    where = minute_filters(em, run_id, endpoint, since, until)
    sums = [func.sum(em.c[column]).label(verdict) for verdict, column in VERDICT_COLUMNS.items()]
    verdict_counts = select(em.c.endpoint, *sums).where(*where).group_by(em.c.endpoint)
    sg = signatures
    problem_counts = signature_counts(run_id, endpoint, since, until)
    with_paths = select(problem_counts.c.endpoint, problem_counts.c.n, sg.c.paths).join(
        sg,
        and_(
            sg.c.run_id == run_id,
            sg.c.signature == problem_counts.c.signature,
            sg.c.endpoint == problem_counts.c.endpoint,
        ),
    )

    verdicts: dict[str, dict[str, int]] = {}
    paths: dict[str, dict[tuple[str, str], int]] = {}
    with guard(engine), engine.connect() as connection:
        for row in connection.execute(verdict_counts).mappings():
            counts = {v: int(row[v]) for v in VERDICT_COLUMNS if row[v]}
            if counts:
                verdicts[row["endpoint"]] = counts
        for name, n, problem in connection.execute(with_paths):
            tally = paths.setdefault(name, {})
            for path, kind in json_value(problem):
                if kind in MISMATCH_KINDS:
                    tally[path, kind] = tally.get((path, kind), 0) + int(n)
        unmatched = [
            name
            for name, counts in verdicts.items()
            if sum(counts.values()) > counts.get(Verdict.MATCH.value, 0)
        ]
        found = _examples(connection, run_id, unmatched, since, until, examples)
        gone = pruned_before(connection)

    reports = [
        EndpointReport(
            endpoint=name,
            total=sum(counts.values()),
            verdicts=counts,
            top_paths=tuple(
                PathCount(path, kind, n)
                for (path, kind), n in sorted(
                    paths.get(name, {}).items(), key=lambda item: (-item[1], item[0])
                )[:top_paths]
            ),
            examples=found.get(name, ()),
        )
        for name, counts in verdicts.items()
    ]
    reports.sort(key=lambda r: (-r.mismatches, -r.total, r.endpoint))
    return MismatchReport(
        run_id=run_id,
        since=since,
        until=until,
        endpoints=tuple(reports),
        pruned=Pruned.of(gone, since),
    )


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
        return _examples(connection, run_id, [endpoint], since, until, wanted).get(endpoint, ())


def _examples(
    connection: Connection,
    run_id: str,
    endpoints: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    wanted: int,
) -> dict[str, tuple[str, ...]]:
    """Per endpoint, its latest non-matching request ids, mismatches first.

    One statement for every endpoint (a report of fifty endpoints paid ~28 ms
    of round trips and row fetching with one query each): per endpoint a
    bounded read of its latest `EXAMPLE_SCAN` non-matching rows (newest first,
    off the partial index), ranked in the database so only `wanted` per
    endpoint come back.
    """
    if not endpoints or wanted <= 0:
        return {}
    c = comparisons.c
    bounds = [c.run_id == run_id, c.verdict != Verdict.MATCH.value]
    if since is not None:
        bounds.append(c.observed_at >= since)
    if until is not None:
        bounds.append(c.observed_at < until)
    # Each read is a subquery of its own: a compound SELECT's members may not
    # carry LIMIT themselves on SQLite.
    reads = [
        select(c.endpoint, c.request_id, c.verdict, c.observed_at)
        .where(*bounds, c.endpoint == endpoint)
        .order_by(c.observed_at.desc(), c.request_id)
        .limit(EXAMPLE_SCAN)
        .subquery()
        for endpoint in endpoints
    ]
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
