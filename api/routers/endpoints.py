"""`/api/v1/endpoints`: the mismatch report, and one endpoint's (or every) time series."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Engine

import storage
from analysis.baseline import BaselineThresholds
from api.body import json_answer
from api.params import (
    EndpointFilter,
    NoiseQuery,
    Window,
    engine_of,
    thresholds_of,
    window,
)
from api.problems import Problem, responses
from api.schemas import EndpointsOut, TimeSeriesOut
from storage.timeseries import STEPS, timeseries
from storage.timespec import parse_duration

router = APIRouter(prefix="/endpoints", tags=["endpoints"])

DEFAULT_SERIES_SINCE = "7d"
"""A series without `since` starts this long ago, as `shadowdiff timeseries` does."""


@router.get("", response_model=EndpointsOut, responses=responses(400, 401, 422, 503))
async def endpoints(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    thresholds: Annotated[BaselineThresholds, Depends(thresholds_of)],
    endpoint: EndpointFilter = None,
    top: Annotated[int, Query(ge=0, le=50, description="top differing paths each")] = 5,
    noise: NoiseQuery = "include",
) -> Response:
    """Per-endpoint totals, verdicts, mismatch rate, top differing paths and examples.

    The figures of `shadowdiff mismatches`: counted per whole minute (a bound
    inside a minute takes that minute whole), most mismatches first. With a
    secondary, `noise` counts each endpoint's mismatches its baseline explains,
    and the `noise` parameter leaves them out or keeps them alone.
    """
    return await json_answer(
        request,
        lambda: storage.mismatch_report(
            engine,
            endpoint=endpoint,
            since=w.since,
            until=w.until,
            run_id=w.run_id,
            top_paths=top,
            noise=noise,
            thresholds=thresholds,
        ).to_json(),
    )


@router.get("/timeseries", response_model=TimeSeriesOut, responses=responses(400, 401, 422, 503))
async def endpoint_timeseries(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    thresholds: Annotated[BaselineThresholds, Depends(thresholds_of)],
    endpoint: EndpointFilter = None,
    step: Annotated[str, Query(description=f"bucket size: {', '.join(STEPS)}")] = "5m",
    noise: NoiseQuery = "include",
) -> Response:
    """Mismatch rate, volume, orphans, errors and each side's p50/p95 per bucket.

    One endpoint's series with `endpoint`, every endpoint's without. The window
    defaults to the last 7 days up to now, as `shadowdiff timeseries`. With a
    secondary, each bucket counts its noise, and the `noise` parameter leaves
    it out of the bucket's mismatches or keeps it alone.
    """
    since = w.since
    if since is None:
        back = parse_duration(DEFAULT_SERIES_SINCE)
        assert back is not None
        since = w.now - back
    until = w.until or w.now
    if until <= since:
        raise Problem(400, "until must be after since")

    def series() -> dict[str, Any]:
        try:
            found = timeseries(
                engine,
                since=since,
                until=until,
                step=step,
                endpoint=endpoint,
                run_id=w.run_id,
                noise=noise,
                thresholds=thresholds,
            )
        except ValueError as error:
            raise Problem(400, str(error)) from None
        return found.to_json()

    return await json_answer(request, series)
