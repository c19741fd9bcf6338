"""The difference between two runs: what changing the rules (or the code) did.

Computed from the `comparisons` rows of both runs alone (their endpoint,
verdict and signature per request), so it holds for any two runs over any
traffic. Requests are matched by request ID; a request judged in only one run
counts towards that run's endpoint numbers and signatures, and in `only_a` /
`only_b`, never as a flip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, select

from comparator.model import Kind, Verdict
from storage.engine import guard
from storage.models import comparisons, differences
from storage.runs import UnknownRun, get_run

MATCH = Verdict.MATCH.value
MISMATCH = Verdict.MISMATCH.value
_MISMATCH_KINDS = frozenset(k.value for k in Kind if k.is_mismatch)
_SUMMARY_ITEMS = 5


@dataclass(frozen=True, slots=True)
class Side:
    """One run's numbers for one endpoint."""

    total: int
    mismatches: int

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
        }


@dataclass(frozen=True, slots=True)
class EndpointDiff:
    endpoint: str
    a: Side
    b: Side


@dataclass(frozen=True, slots=True)
class SignatureCount:
    """A signature of one endpoint, with its request counts in run A and run B.

    `summary` is spelled out from the stored differences of `example`, one
    request that has it (the same text for every request of the signature).
    """

    endpoint: str
    signature: str
    count_a: int
    count_b: int
    summary: str
    example: str


@dataclass(frozen=True, slots=True)
class Flip:
    """A request judged `match` in one run and `mismatch` in the other."""

    request_id: str
    endpoint: str
    verdict_a: str
    verdict_b: str


@dataclass(frozen=True, slots=True)
class RunDiff:
    """See the module docstring; `resolved` / `new` / `both` partition the signatures."""

    a: str
    b: str
    endpoints: tuple[EndpointDiff, ...]
    resolved: tuple[SignatureCount, ...]
    new: tuple[SignatureCount, ...]
    both: tuple[SignatureCount, ...]
    match_to_mismatch: int
    mismatch_to_match: int
    other_changes: int
    only_a: int
    only_b: int
    examples: tuple[Flip, ...]

    def to_json(self) -> dict[str, Any]:
        def one_sided(s: SignatureCount, count: int) -> dict[str, Any]:
            return {
                "endpoint": s.endpoint,
                "signature": s.signature,
                "summary": s.summary,
                "count": count,
                "example": s.example,
            }

        return {
            "a": self.a,
            "b": self.b,
            "endpoints": [
                {"endpoint": e.endpoint, "a": e.a.to_json(), "b": e.b.to_json()}
                for e in self.endpoints
            ],
            "signatures": {
                "resolved": [one_sided(s, s.count_a) for s in self.resolved],
                "new": [one_sided(s, s.count_b) for s in self.new],
                "both": [
                    {
                        "endpoint": s.endpoint,
                        "signature": s.signature,
                        "count_a": s.count_a,
                        "count_b": s.count_b,
                        "summary": s.summary,
                    }
                    for s in self.both
                ],
            },
            "flips": {
                "match_to_mismatch": self.match_to_mismatch,
                "mismatch_to_match": self.mismatch_to_match,
                "other_changes": self.other_changes,
                "examples": [
                    {
                        "request_id": f.request_id,
                        "endpoint": f.endpoint,
                        "a": f.verdict_a,
                        "b": f.verdict_b,
                    }
                    for f in self.examples
                ],
            },
            "only_a": self.only_a,
            "only_b": self.only_b,
        }


def diff_runs(
    engine: Engine, a: str, b: str, *, endpoint: str | None = None, examples: int = 10
) -> RunDiff:
    """Compare run `b` with run `a` (optionally one endpoint); raises `UnknownRun`."""
    for run_id in (a, b):
        if get_run(engine, run_id) is None:
            raise UnknownRun(run_id)
    with guard(engine), engine.connect() as connection:
        endpoints = _endpoints(connection, a, b, endpoint)
        resolved, new, both = _signatures(connection, a, b, endpoint)
        flips, other, only_a, only_b, flipped = _flips(connection, a, b, endpoint, examples)
    return RunDiff(
        a=a,
        b=b,
        endpoints=endpoints,
        resolved=resolved,
        new=new,
        both=both,
        match_to_mismatch=flips[(MATCH, MISMATCH)],
        mismatch_to_match=flips[(MISMATCH, MATCH)],
        other_changes=other,
        only_a=only_a,
        only_b=only_b,
        examples=flipped,
    )


def _where(run_id: str, endpoint: str | None) -> Any:
    condition = comparisons.c.run_id == run_id
    return condition if endpoint is None else and_(condition, comparisons.c.endpoint == endpoint)


def _endpoints(
    connection: Connection, a: str, b: str, endpoint: str | None
) -> tuple[EndpointDiff, ...]:
    sides: dict[str, dict[str, Side]] = {}
    for run_id in (a, b):
        query = (
            select(
                comparisons.c.endpoint,
                func.count(),
                func.sum(case((comparisons.c.verdict == MISMATCH, 1), else_=0)),
            )
            .where(_where(run_id, endpoint))
            .group_by(comparisons.c.endpoint)
        )
        for name, total, mismatches in connection.execute(query):
            sides.setdefault(name, {})[run_id] = Side(int(total), int(mismatches or 0))
    empty = Side(0, 0)
    return tuple(
        EndpointDiff(name, found.get(a, empty), found.get(b, empty))
        for name, found in sorted(sides.items())
    )


def _signatures(
    connection: Connection, a: str, b: str, endpoint: str | None
) -> tuple[tuple[SignatureCount, ...], ...]:
    counts: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
    for run_id in (a, b):
        query = (
            select(
                comparisons.c.endpoint,
                comparisons.c.signature,
                func.count(),
                func.min(comparisons.c.request_id),
            )
            .where(_where(run_id, endpoint), comparisons.c.signature.is_not(None))
            .group_by(comparisons.c.endpoint, comparisons.c.signature)
        )
        for name, signature, count, example in connection.execute(query):
            counts.setdefault((name, signature), {})[run_id] = (int(count), example)
    resolved: list[SignatureCount] = []
    new: list[SignatureCount] = []
    both: list[SignatureCount] = []
    for (name, signature), found in sorted(counts.items()):
        count_a, example_a = found.get(a, (0, ""))
        count_b, example_b = found.get(b, (0, ""))
        run_id, example = (a, example_a) if example_a else (b, example_b)
        entry = SignatureCount(
            endpoint=name,
            signature=signature,
            count_a=count_a,
            count_b=count_b,
            summary=_summary(connection, run_id, example),
            example=example,
        )
        (both if count_a and count_b else resolved if count_a else new).append(entry)

    def by_count(s: SignatureCount) -> tuple[int, str, str]:
        return (-max(s.count_a, s.count_b), s.endpoint, s.signature)

    return tuple(sorted(resolved, key=by_count)), tuple(sorted(new, key=by_count)), tuple(both)


def _summary(connection: Connection, run_id: str, request_id: str) -> str:
    """`verdict: kind path, ...` of one stored request, array indices folded."""
    verdict = connection.execute(
        select(comparisons.c.verdict).where(
            comparisons.c.run_id == run_id, comparisons.c.request_id == request_id
        )
    ).scalar_one()
    rows = connection.execute(
        select(differences.c.path, differences.c.kind).where(
            differences.c.run_id == run_id, differences.c.request_id == request_id
        )
    ).all()
    items = sorted({(_fold(path), kind) for path, kind in rows if kind in _MISMATCH_KINDS})
    shown = [
        kind if path == kind else f"{kind} {path or '(body)'}"
        for path, kind in items[:_SUMMARY_ITEMS]
    ]
    if len(items) > _SUMMARY_ITEMS:
        shown.append(f"(+{len(items) - _SUMMARY_ITEMS} more)")
    return f"{verdict}: {', '.join(shown)}" if shown else str(verdict)


def _fold(path: str) -> str:
    if not path.startswith("/"):
        return path  # status, content_type, header:NAME
    return "/".join("[*]" if part.isdigit() else part for part in path.split("/"))


def _flips(
    connection: Connection, a: str, b: str, endpoint: str | None, examples: int
) -> tuple[dict[tuple[str, str], int], int, int, int, tuple[Flip, ...]]:
    ca, cb = comparisons.alias("ca"), comparisons.alias("cb")
    joined = ca.join(cb, and_(cb.c.request_id == ca.c.request_id, cb.c.run_id == b))
    condition = ca.c.run_id == a
    if endpoint is not None:
        condition = and_(condition, ca.c.endpoint == endpoint)
    query = (
        select(ca.c.verdict, cb.c.verdict, func.count())
        .select_from(joined)
        .where(condition, ca.c.verdict != cb.c.verdict)
        .group_by(ca.c.verdict, cb.c.verdict)
    )
    flips = {(MATCH, MISMATCH): 0, (MISMATCH, MATCH): 0}
    other = 0
    for verdict_a, verdict_b, count in connection.execute(query):
        if (verdict_a, verdict_b) in flips:
            flips[(verdict_a, verdict_b)] = int(count)
        else:
            other += int(count)
    both_query = select(func.count()).select_from(joined).where(condition)
    in_both = int(connection.execute(both_query).scalar_one())
    totals = [
        int(
            connection.execute(
                select(func.count()).select_from(comparisons).where(_where(run_id, endpoint))
            ).scalar_one()
        )
        for run_id in (a, b)
    ]
    flipped = connection.execute(
        select(ca.c.request_id, ca.c.endpoint, ca.c.verdict, cb.c.verdict)
        .select_from(joined)
        .where(
            condition,
            ((ca.c.verdict == MATCH) & (cb.c.verdict == MISMATCH))
            | ((ca.c.verdict == MISMATCH) & (cb.c.verdict == MATCH)),
        )
        .order_by(ca.c.observed_at, ca.c.request_id)
        .limit(examples)
    ).all()
    return (
        flips,
        other,
        totals[0] - in_both,
        totals[1] - in_both,
        tuple(Flip(*row) for row in flipped),
    )
