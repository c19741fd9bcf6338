"""Read side of the result store: the mismatch report and one comparison's detail.

Everything returned is a frozen value object; the commands format them and
nothing here prints. Time bounds are half-open: `since <= observed_at < until`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, select

from comparator.model import Kind, Verdict
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import LIVE_RUN, comparisons, differences

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
class MismatchReport:
    """Per-endpoint numbers for one run, sorted by mismatches (most first)."""

    run_id: str
    since: datetime | None
    until: datetime | None
    endpoints: tuple[EndpointReport, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "endpoints": [e.to_json() for e in self.endpoints],
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


def _filters(
    run_id: str, endpoint: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    conditions = [comparisons.c.run_id == run_id]
    if endpoint is not None:
        conditions.append(comparisons.c.endpoint == endpoint)
    if since is not None:
        conditions.append(comparisons.c.observed_at >= since)
    if until is not None:
        conditions.append(comparisons.c.observed_at < until)
    return conditions


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

    Top paths count differences of mismatch kinds (not numeric_tolerance) among
    the filtered comparisons, most frequent first (ties by path).
    """
    where = _filters(run_id, endpoint, since, until)
    c, d = comparisons, differences
    verdict_counts = (
        select(c.c.endpoint, c.c.verdict, func.count().label("n"))
        .where(*where)
        .group_by(c.c.endpoint, c.c.verdict)
    )
    path_counts = (
        select(c.c.endpoint, d.c.path, d.c.kind, func.count().label("n"))
        .select_from(d.join(c, and_(d.c.run_id == c.c.run_id, d.c.request_id == c.c.request_id)))
        .where(*where, d.c.kind.in_(MISMATCH_KINDS))
        .group_by(c.c.endpoint, d.c.path, d.c.kind)
        .subquery()
    )
    ranked_paths = select(
        path_counts,
        func.row_number()
        .over(
            partition_by=path_counts.c.endpoint,
            order_by=(path_counts.c.n.desc(), path_counts.c.path, path_counts.c.kind),
        )
        .label("rank"),
    ).subquery()
    top = select(
        ranked_paths.c.endpoint, ranked_paths.c.path, ranked_paths.c.kind, ranked_paths.c.n
    ).where(ranked_paths.c.rank <= top_paths)
    recent = (
        select(
            c.c.endpoint,
            c.c.request_id,
            func.row_number()
            .over(
                partition_by=c.c.endpoint,
                # Mismatches first: they have differences to show.
                order_by=(
                    case((c.c.verdict == Verdict.MISMATCH.value, 0), else_=1),
                    c.c.observed_at.desc(),
                    c.c.request_id,
                ),
            )
            .label("rank"),
        )
        .where(*where, c.c.verdict != Verdict.MATCH.value)
        .subquery()
    )
    example_rows = (
        select(recent.c.endpoint, recent.c.request_id)
        .where(recent.c.rank <= examples)
        .order_by(recent.c.endpoint, recent.c.rank)
    )

    verdicts: dict[str, dict[str, int]] = {}
    paths: dict[str, list[PathCount]] = {}
    found: dict[str, list[str]] = {}
    with guard(engine), engine.connect() as connection:
        for name, verdict, n in connection.execute(verdict_counts):
            verdicts.setdefault(name, {})[verdict] = n
        for name, path, kind, n in connection.execute(top):
            paths.setdefault(name, []).append(PathCount(path, kind, n))
        for name, request_id in connection.execute(example_rows):
            found.setdefault(name, []).append(request_id)

    reports = [
        EndpointReport(
            endpoint=name,
            total=sum(counts.values()),
            verdicts=counts,
            top_paths=tuple(sorted(paths.get(name, []), key=lambda p: (-p.count, p.path, p.kind))),
            examples=tuple(found.get(name, [])),
        )
        for name, counts in verdicts.items()
    ]
    reports.sort(key=lambda r: (-r.mismatches, -r.total, r.endpoint))
    return MismatchReport(run_id=run_id, since=since, until=until, endpoints=tuple(reports))


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
