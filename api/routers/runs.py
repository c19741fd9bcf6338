"""`/api/v1/runs`: the live run and every reprocessing, with their traffic spans."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Engine

from api.body import json_answer
from api.params import MAX_TEXT, TimeQuery, bounds, engine_of
from api.problems import responses
from api.schemas import RunsOut
from storage.models import LIVE_RUN
from storage.runs import list_runs

router = APIRouter(prefix="/runs", tags=["runs"])


@router.get("", response_model=RunsOut, responses=responses(400, 401, 422, 503))
async def runs(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    run: Annotated[str | None, Query(min_length=1, max_length=MAX_TEXT)] = None,
    since: Annotated[str | None, TimeQuery("created at or after")] = None,
    until: Annotated[str | None, TimeQuery("created before")] = None,
) -> Response:
    """Runs created in the window (all without one), oldest first; `run`: only that one.

    `traffic_since` / `traffic_until` bound each run's stored traffic: the
    window to ask the other routes about.
    """
    w = bounds(run or LIVE_RUN, since, until)
    return await json_answer(
        request,
        lambda: {
            "runs": [
                r.to_json() for r in list_runs(engine, run_id=run, since=w.since, until=w.until)
            ]
        },
    )
