"""Diffy's baseline, kept by the writer: requests with a secondary, and where each side differed.

A result judged with a secondary (`Result.secondary_paths`) adds, in the
batch's transaction and only when its comparison was newly inserted (so, like
`storage.rollups`, the counts derive from stored rows and a replay adds
nothing):

- a `secondary_comparisons` row: the request had a secondary, and the folded
  paths where it differed from the primary (the evidence per difference);
- one to its endpoint-minute in `secondary_minutes`;
- per folded path where the candidate or the secondary differed from the
  primary, one to that side's count in `secondary_paths`.

A batch without a secondary costs one scan of its results and nothing else:
the writer's common path is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from comparator.baseline import differing_paths
from comparator.model import Result
from storage.models import secondary_comparisons, secondary_minutes, secondary_paths
from storage.writer_sql import insert


@dataclass(frozen=True, slots=True)
class PathMinute:
    """What a batch adds to one endpoint path's minute: requests where each side differed."""

    endpoint: str
    minute: datetime
    path: str
    candidate: int
    secondary: int


def deltas(new: Sequence[Result]) -> tuple[dict[tuple[str, datetime], int], list[PathMinute]]:
    """Per (endpoint, minute) the requests with a secondary, and the path counts, in key order."""
    requests: dict[tuple[str, datetime], int] = {}
    paths: dict[tuple[str, datetime, str], list[int]] = {}
    for result in new:
        if result.secondary_paths is None:
            continue
        baseline = frozenset(result.secondary_paths)
        minute = result.observed_at.replace(second=0, microsecond=0)
        key = (result.endpoint, minute)
        requests[key] = requests.get(key, 0) + 1
        candidate = differing_paths(result.comparison)
        for path in candidate | baseline:
            counts = paths.setdefault((result.endpoint, minute, path), [0, 0])
            counts[0] += path in candidate
            counts[1] += path in baseline
    return (
        dict(sorted(requests.items())),
        [PathMinute(*key, *counts) for key, counts in sorted(paths.items())],
    )


def add(connection: Connection, run_id: str, new: Sequence[Result]) -> None:
    """Add the newly stored `new` results of `run_id` that had a secondary (none: no-op)."""
    with_secondary = [r for r in new if r.secondary_paths is not None]
    if not with_secondary:
        return
    requests, paths = deltas(with_secondary)
    connection.execute(
        insert(connection, secondary_comparisons).on_conflict_do_nothing(),
        [_comparison_row(run_id, r) for r in with_secondary],
    )
    statement = insert(connection, secondary_minutes)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["run_id", "endpoint", "minute"],
            set_={"requests": secondary_minutes.c.requests + statement.excluded.requests},
        ),
        [
            {"run_id": run_id, "endpoint": endpoint, "minute": minute, "requests": n}
            for (endpoint, minute), n in requests.items()
        ],
    )
    if not paths:  # every side agreed everywhere: no path to count
        return
    statement = insert(connection, secondary_paths)
    t = secondary_paths.c
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["run_id", "endpoint", "minute", "path"],
            set_={
                "candidate": t.candidate + statement.excluded.candidate,
                "secondary": t.secondary + statement.excluded.secondary,
            },
        ),
        [
            {
                "run_id": run_id,
                "endpoint": p.endpoint,
                "minute": p.minute,
                "path": p.path,
                "candidate": p.candidate,
                "secondary": p.secondary,
            }
            for p in paths
        ],
    )


def _comparison_row(run_id: str, result: Result) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "request_id": result.request_id,
        "endpoint": result.endpoint,
        "observed_at": result.observed_at,
        "paths": orjson.dumps(result.secondary_paths).decode(),
    }
