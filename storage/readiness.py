"""What readiness is judged on, per endpoint over a window, read from the rollups.

Every figure comes from the minute rollups and the signatures, so the read
costs the same at ten million requests as at ten thousand: verdict counts and
latency histograms from `endpoint_minutes`, a row per endpoint; requests whose problem is marked
expected from `signature_minutes` joined with the triage marks; open problems
(new or regressed) and the newest problem not marked expected from the
signatures seen in the window. With a secondary, a problem its baseline
explains over the window (`storage.secondary_report`, Diffy's rule) is noise:
counted apart, neither open nor new. Judging is `analysis.readiness`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from analysis.baseline import BaselineThresholds
from storage import latency
from storage.compaction import joined_histograms
from storage.engine import guard
from storage.models import (
    LIVE_RUN,
    VERDICT_COLUMNS,
    endpoint_minutes,
    signature_minutes,
    signatures,
)
from storage.noise_filter import Thresholds, rule_of, stored_noise
from storage.queries import minute_filters, whole_minutes
from storage.secondary_report import read_baselines
from storage.triage import with_triage

OPEN_STATUSES = ("new", "regressed")
"""Statuses of a problem that still holds an endpoint back."""


@dataclass(frozen=True, slots=True)
class EndpointTraffic:
    """One endpoint's traffic in the window, as readiness needs it.

    `expected`: requests whose problem is marked expected; `noise`: requests
    whose problem (not marked expected) a secondary's baseline explains;
    `open_signatures`: problems seen in the window that are new or regressed,
    and not noise; `last_new_problem`: the first sighting of the newest problem
    seen in the window, neither marked expected nor noise; `first_minute`: the
    first minute with traffic.
    """

    endpoint: str
    verdicts: dict[str, int]
    expected: int
    open_signatures: int
    last_new_problem: datetime | None
    primary_latency: latency.Histogram
    candidate_latency: latency.Histogram
    first_minute: datetime
    noise: int = 0


def readiness_traffic(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    endpoint: str | None = None,
    run_id: str = LIVE_RUN,
    thresholds: Thresholds | None = None,
) -> tuple[EndpointTraffic, ...]:
    """Each endpoint with traffic in [since, until) (widened to whole minutes), by name.

    `thresholds` judge noise where a secondary was seen (default: Diffy's); a
    callable there is called only then (`storage.noise_filter.Thresholds`).
    """
    start, end = whole_minutes(since, until)
    assert start is not None and end is not None
    em, sm, sg = endpoint_minutes, signature_minutes, signatures
    where = minute_filters(em, run_id, endpoint, start, end)
    seen = (
        select(sm.c.endpoint, sm.c.signature, func.sum(sm.c["count"]).label("n"))
        .where(*minute_filters(sm, run_id, endpoint, start, end))
        .group_by(sm.c.endpoint, sm.c.signature)
        .subquery()
    )
    triaged = with_triage(seen, run_id)
    problems = select(
        seen.c.endpoint, seen.c.n, sg.c.first_seen, triaged.status, sg.c.paths
    ).select_from(triaged.joined)
    verdicts: dict[str, dict[str, int]] = {}
    first: dict[str, datetime] = {}
    expected: dict[str, int] = {}
    noise: dict[str, int] = {}
    open_count: dict[str, int] = {}
    newest: dict[str, datetime] = {}
    histograms: dict[str, tuple[latency.Histogram, latency.Histogram]] = {}
    with guard(engine), engine.connect() as connection:
        dialect = connection.dialect.name
        sums = (
            select(
                em.c.endpoint,
                func.min(em.c.minute),
                joined_histograms(dialect, em.c.primary_latency),
                joined_histograms(dialect, em.c.candidate_latency),
                *(func.sum(em.c[column]) for column in VERDICT_COLUMNS.values()),
            )
            .where(*where)
            .group_by(em.c.endpoint)
        )
        for name, minute, primary, candidate, *counts in connection.execute(sums):
            verdicts[name] = dict(zip(VERDICT_COLUMNS, map(int, counts), strict=True))
            first[name] = minute
            histograms[name] = (latency.decode(primary), latency.decode(candidate))
        baseline = read_baselines(connection, run_id, endpoint, start, end)
        # Thresholds only once a baseline is found: a callable may read the settings.
        judged_by = rule_of(thresholds) if baseline else BaselineThresholds()
        for name, n, first_seen, status, paths in connection.execute(problems):
            if status == "expected":
                expected[name] = expected.get(name, 0) + int(n)
                continue
            if name in baseline and stored_noise(paths, baseline[name], judged_by):
                noise[name] = noise.get(name, 0) + int(n)
                continue
            if status in OPEN_STATUSES:
                open_count[name] = open_count.get(name, 0) + 1
            if first_seen < end and (name not in newest or first_seen > newest[name]):
                newest[name] = first_seen
    return tuple(
        EndpointTraffic(
            endpoint=name,
            verdicts={v: n for v, n in counts.items() if n},
            expected=expected.get(name, 0),
            open_signatures=open_count.get(name, 0),
            last_new_problem=newest.get(name),
            primary_latency=histograms[name][0],
            candidate_latency=histograms[name][1],
            first_minute=first[name],
            noise=noise.get(name, 0),
        )
        for name, counts in sorted(verdicts.items())
    )
