"""Read side of the secondary baseline: per endpoint over a window, and per request.

`baselines` sums the `secondary_minutes` and `secondary_paths` rollups over a
window (whole minutes), so judging noise by Diffy's rule costs the same at any
volume; `secondary_of` says whether one stored request had a secondary and
where it differed from the primary.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, func, select

from analysis.baseline import Baseline
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import LIVE_RUN, secondary_comparisons, secondary_minutes, secondary_paths
from storage.queries import minute_filters, whole_minutes


def baselines(
    engine: Engine,
    *,
    run_id: str = LIVE_RUN,
    endpoint: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Baseline]:
    """Each endpoint with requests judged with a secondary in [since, until), its baseline."""
    with guard(engine), engine.connect() as connection:
        return read_baselines(connection, run_id, endpoint, since, until)


def read_baselines(
    connection: Connection,
    run_id: str,
    endpoint: str | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Baseline]:
    """`baselines` on an open connection."""
    start, end = whole_minutes(since, until)
    sm, sp = secondary_minutes, secondary_paths
    requests = {
        name: int(n)
        for name, n in connection.execute(
            select(sm.c.endpoint, func.sum(sm.c.requests))
            .where(*minute_filters(sm, run_id, endpoint, start, end))
            .group_by(sm.c.endpoint)
        )
    }
    paths: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in requests}
    rows = connection.execute(
        select(sp.c.endpoint, sp.c.path, func.sum(sp.c.candidate), func.sum(sp.c.secondary))
        .where(*minute_filters(sp, run_id, endpoint, start, end))
        .group_by(sp.c.endpoint, sp.c.path)
    )
    for name, path, candidate, secondary in rows:
        paths.setdefault(name, {})[path] = (int(candidate), int(secondary))
    return {name: Baseline(n, paths[name]) for name, n in requests.items()}


def secondary_of(engine: Engine, request_id: str, run_id: str = LIVE_RUN) -> frozenset[str] | None:
    """Where the request's secondary differed from its primary (folded paths); None
    when the request had no secondary (or its raw rows were pruned)."""
    sc = secondary_comparisons.c
    with guard(engine), engine.connect() as connection:
        paths = connection.execute(
            select(sc.paths).where(sc.run_id == run_id, sc.request_id == request_id)
        ).scalar_one_or_none()
    return None if paths is None else frozenset(json_value(paths))
