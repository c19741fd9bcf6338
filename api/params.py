"""Query parameters every list shares (run, since, until), parsed as the CLI parses them.

`since` / `until` take a duration back from now (`15m`, `7d`) or an ISO-8601
time (UTC when it has no offset), like the CLI's `--since` / `--until`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from analysis.baseline import BaselineThresholds
from api.problems import Problem
from storage.models import LIVE_RUN
from storage.noise_filter import NoiseFilter
from storage.timespec import TimeSpecError, parse_instant

MAX_TEXT = 512
"""Characters a text parameter may hold: endpoints, ids and times are far shorter."""

TIME_PATTERN = (
    r"^\s*(\d{1,5}(\.\d{1,6})?\s*[smhdwSMHDW]"
    r"|\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,6})?)?)?)?([zZ]|[+-]\d{2}:?\d{2})?)\s*$"
)
"""What `since` / `until` accept, as the OpenAPI document states it: a duration or ISO-8601."""

TIME_HELP = "a duration back from now (15m, 1h, 7d) or an ISO-8601 time (UTC without offset)"


RunName = Annotated[str, Query(min_length=1, max_length=MAX_TEXT, description="run to read")]


def TimeQuery(description: str) -> Any:
    """A `since` / `until` query parameter, its accepted forms in the document."""
    return Query(max_length=64, pattern=TIME_PATTERN, description=description)


@dataclass(frozen=True, slots=True)
class Window:
    """A run and the half-open time range [since, until) of a query (None: open)."""

    run_id: str
    since: datetime | None
    until: datetime | None
    now: datetime


def _instant(spec: str | None, now: datetime, name: str) -> datetime | None:
    if spec is None:
        return None
    try:
        return parse_instant(spec, now=now)
    except (TimeSpecError, ValueError, OverflowError) as error:
        raise Problem(400, f"{name}: {error}") from None


def window(
    run: RunName = LIVE_RUN,
    since: Annotated[str | None, TimeQuery(f"start: {TIME_HELP}")] = None,
    until: Annotated[str | None, TimeQuery(f"end (exclusive): {TIME_HELP}")] = None,
) -> Window:
    """The run and window of a request; 400 when a bound is unreadable or the range empty."""
    return bounds(run, since, until)


def bounds(run: str, since: str | None, until: str | None) -> Window:
    """`window` for values at hand (not FastAPI parameters)."""
    now = datetime.now(UTC)
    start, end = _instant(since, now, "since"), _instant(until, now, "until")
    if start is not None and end is not None and end <= start:
        raise Problem(400, "until must be after since")
    return Window(run, start, end, now)


EndpointFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TEXT,
        description="endpoint name as stored, e.g. `GET /users/{id}` (URL-encoded)",
    ),
]


NoiseQuery = Annotated[
    NoiseFilter,
    Query(
        description="mismatches a secondary's baseline explains (Diffy's rule): counted with "
        "the rest (`include`), left out (`exclude`) or alone (`only`); without a secondary "
        "nothing is noise",
    ),
]


def thresholds_of(request: Request) -> BaselineThresholds:
    """The noise thresholds the entry point configured (NOISE_*_THRESHOLD)."""
    thresholds: BaselineThresholds = request.app.state.config.noise_thresholds
    return thresholds


def engine_of(request: Request) -> Engine:
    """The store's engine, built at the entry point."""
    engine: Engine = request.app.state.config.engine
    return engine


def known_parameters_only(request: Request) -> None:
    """400 for a query parameter the route does not take.

    A misspelt filter (`endpiont=`) ignored would answer with unfiltered data
    that looks like an answer; naming it is the useful reply.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise Problem(
            400,
            f"unknown query parameter(s) {', '.join(map(repr, unknown))}: this route takes "
            f"{', '.join(sorted(known)) or 'none'}",
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
