"""The mismatch report: per endpoint over a window, totals, verdicts, top paths, examples.

Counts come from the minute rollups, so the bounds are whole minutes
(`storage.queries.whole_minutes`; the report carries the bounds used). With a
secondary in the window, the problems its baseline explains are noise
(`storage.noise_filter`): `noise` counts them per endpoint, and the filter
leaves them out of the mismatches, top paths and examples, or keeps them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from comparator.model import Kind, Verdict
from storage import noise_filter
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import LIVE_RUN, VERDICT_COLUMNS, endpoint_minutes, signatures
from storage.noise_filter import NoiseFilter, Thresholds
from storage.queries import (
    Pruned,
    minute_filters,
    pruned_before,
    signature_counts,
    signature_row,
    unmatched_examples,
    whole_minutes,
)
from storage.secondary_report import read_baselines

MISMATCH_KINDS: tuple[str, ...] = tuple(k.value for k in Kind if k.is_mismatch)
ORPHAN_VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict if v.is_orphan)


@dataclass(frozen=True, slots=True)
class PathCount:
    """How many requests had a difference of `kind` at `path` (a path template)."""

    path: str
    kind: str
    count: int


@dataclass(frozen=True, slots=True)
class EndpointReport:
    """One endpoint's numbers over the report's time range.

    `mismatches` counts the verdict `mismatch` only (as the noise filter
    leaves it); errors have their own entries in `verdicts`; `orphans` is
    missing_primary + missing_candidate. `examples` are the most recent
    non-matching request ids, mismatches first. `noise`: mismatching requests
    whose problem the secondary's baseline explains, whatever the filter
    (None: the endpoint had no secondary in the window).
    """

    endpoint: str
    total: int
    verdicts: dict[str, int]
    top_paths: tuple[PathCount, ...]
    examples: tuple[str, ...]
    noise: int | None = None

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
            "secondary": self.noise is not None,
            "noise": self.noise,
        }


@dataclass(frozen=True, slots=True)
class MismatchReport:
    """Per-endpoint numbers for one run, sorted by mismatches (most first).

    `noise` is the filter the figures were counted with; `secondary` whether
    any endpoint had requests judged with a secondary in the window.
    """

    run_id: str
    since: datetime | None
    until: datetime | None
    endpoints: tuple[EndpointReport, ...]
    pruned: Pruned = field(default_factory=Pruned)
    noise: NoiseFilter = "include"
    secondary: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "endpoints": [e.to_json() for e in self.endpoints],
            "noise": self.noise,
            "secondary": self.secondary,
            "pruned": self.pruned.to_json(),
        }


def mismatch_report(
    engine: Engine,
    endpoint: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str = LIVE_RUN,
    top_paths: int = 5,
    examples: int = 3,
    *,
    noise: NoiseFilter = "include",
    thresholds: Thresholds | None = None,
) -> MismatchReport:
    """Per-endpoint totals, verdict counts, top differing paths and examples.

    Top paths count the requests whose problem (signature) includes a
    differing (path template, kind), array indices folded, tolerated
    differences left out, most frequent first (ties by path). Examples come
    from a bounded read of the latest non-matching rows. `noise` keeps or
    leaves out the mismatches a secondary's baseline explains, judged with
    `thresholds` (default: Diffy's; `noise_filter.Thresholds`); totals, errors and
    orphans stay as stored.
    """
    since, until = whole_minutes(since, until)
    em = endpoint_minutes
    where = minute_filters(em, run_id, endpoint, since, until)
    sums = [func.sum(em.c[column]).label(verdict) for verdict, column in VERDICT_COLUMNS.items()]
    verdict_counts = select(em.c.endpoint, *sums).where(*where).group_by(em.c.endpoint)
    sg = signatures
    problem_counts = signature_counts(run_id, endpoint, since, until)
    problems = select(
        problem_counts.c.endpoint,
        problem_counts.c.signature,
        problem_counts.c.n,
        sg.c.summary,
        sg.c.paths,
    ).join(sg, signature_row(problem_counts, run_id))

    verdicts: dict[str, dict[str, int]] = {}
    paths: dict[str, dict[tuple[str, str], int]] = {}
    noisy: dict[str, int] = {}
    with guard(engine), engine.connect() as connection:
        for row in connection.execute(verdict_counts).mappings():
            counts = {v: int(row[v]) for v in VERDICT_COLUMNS if row[v]}
            if counts:
                verdicts[row["endpoint"]] = counts
        seen = connection.execute(problems).all()
        # The noise judgement reads the same problems: judged from these rows.
        judged = noise_filter.explained(
            read_baselines(connection, run_id, endpoint, since, until),
            ((name, signature, summary, stored) for name, signature, _, summary, stored in seen),
            thresholds,
        )
        for name, signature, n, _, problem in seen:
            is_noise = judged.is_noise(name, signature)
            if is_noise:
                noisy[name] = noisy.get(name, 0) + int(n)
            if not noise_filter.keeps(noise, is_noise):
                continue
            tally = paths.setdefault(name, {})
            for path, kind in json_value(problem):
                if kind in MISMATCH_KINDS:
                    tally[path, kind] = tally.get((path, kind), 0) + int(n)
        unmatched = [
            name
            for name, counts in verdicts.items()
            if sum(counts.values()) > counts.get(Verdict.MATCH.value, 0)
        ]
        explained = {name: judged.signatures_of(name) for name in unmatched}
        found = unmatched_examples(
            connection,
            run_id,
            unmatched,
            since,
            until,
            examples,
            leave_out=explained if noise == "exclude" else None,
            only=explained if noise == "only" else None,
        )
        gone = pruned_before(connection)

    reports = [
        EndpointReport(
            endpoint=name,
            total=sum(counts.values()),
            verdicts=_filtered(counts, noise, noisy.get(name, 0)),
            top_paths=tuple(
                PathCount(path, kind, n)
                for (path, kind), n in sorted(
                    paths.get(name, {}).items(), key=lambda item: (-item[1], item[0])
                )[:top_paths]
            ),
            examples=found.get(name, ()),
            noise=judged.noise_count(name, noisy.get(name, 0)),
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
        noise=noise,
        secondary=judged.secondary,
    )


def _filtered(counts: dict[str, int], mode: NoiseFilter, noise: int) -> dict[str, int]:
    """The verdict counts with the mismatches the filter counts (a zero left out)."""
    mismatch = Verdict.MISMATCH.value
    kept = noise_filter.filtered(mode, counts.get(mismatch, 0), noise)
    return {v: n for v, n in {**counts, mismatch: kept}.items() if n}
