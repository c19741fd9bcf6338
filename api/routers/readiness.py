"""`/api/v1/readiness`: per endpoint, ready to take the traffic or not, and why.

The judgement of `shadowdiff readiness`: the same rollup read, the same
judge, the criteria of the rules file `serve` was started with.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Engine

from analysis.readiness import judge_readiness
from analysis.readiness_rules import ReadinessBook
from api.body import json_answer
from api.params import TIME_HELP, TIME_PATTERN, EndpointFilter, RunName, engine_of
from api.problems import Problem, responses
from api.schemas import ReadinessOut
from shadowdiff.commands.readiness import evidence
from storage.models import LIVE_RUN
from storage.queries import stored_span
from storage.readiness import readiness_traffic
from storage.timespec import TimeSpecError, parse_duration, parse_instant

router = APIRouter(prefix="/readiness", tags=["readiness"])

END = "end"
"""`until=end`: the window ends where the run's stored traffic does."""

LENGTH_PATTERN = r"^\s*\d{1,5}(\.\d{1,6})?\s*[smhdwSMHDW]\s*$"
UNTIL_PATTERN = rf"^(now|{END})$|{TIME_PATTERN}"


def _end(engine: Engine, until: str, run_id: str, now: datetime) -> datetime:
    if until == "now":
        return now
    if until == END:
        stored = stored_span(engine, run_id)
        return stored[1] if stored is not None else now
    try:
        return parse_instant(until, now=now)
    except (TimeSpecError, ValueError, OverflowError) as error:
        raise Problem(400, f"until: {error}") from None


@router.get("", response_model=ReadinessOut, responses=responses(400, 401, 422, 503))
async def readiness(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    run: RunName = LIVE_RUN,
    endpoint: EndpointFilter = None,
    window: Annotated[
        str, Query(max_length=32, pattern=LENGTH_PATTERN, description="how far back: 1h, 7d")
    ] = "7d",
    until: Annotated[
        str,
        Query(
            max_length=64,
            pattern=UNTIL_PATTERN,
            description=f"end of the window: now, `end` (of the stored traffic) or {TIME_HELP}",
        ),
    ] = "now",
    target: Annotated[
        float | None,
        Query(gt=0, lt=1, description="match-rate target for every endpoint (default 0.999)"),
    ] = None,
) -> Response:
    """Per endpoint over the window: the verdict, every reason, and the figures behind it.

    Ready when the match rate's Wilson 95 % lower bound reaches the target, no
    signature is open, no new problem appeared in the last 24 h, candidate
    errors and latency stay within their budgets (`shadowdiff readiness --json`).
    """
    length = parse_duration(window)
    if length is None or length <= timedelta(0):
        raise Problem(400, f"window: {window!r} is not a duration: use 15m, 1h, 7d")
    book: ReadinessBook = request.app.state.config.readiness

    def judged() -> dict[str, Any]:
        end = _end(engine, until, run, datetime.now(UTC))
        try:
            since = end - length
        except OverflowError:
            raise Problem(400, f"window: {window!r} reaches too far back") from None
        found = []
        for traffic in readiness_traffic(
            engine, since=since, until=end, endpoint=endpoint, run_id=run
        ):
            criteria = book.for_endpoint(traffic.endpoint)
            if target is not None:
                criteria = dataclasses.replace(criteria, target=target)
            found.append(judge_readiness(evidence(traffic, end), criteria).to_json())
        return {
            "window": {"length": window, "since": since.isoformat(), "until": end.isoformat()},
            "run": run,
            "endpoints": found,
            "coverage": None,
        }

    return await json_answer(request, judged)
