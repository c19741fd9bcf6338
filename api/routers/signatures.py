"""`/api/v1/signatures`: the distinct problems, and one with its examples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Engine

from analysis.baseline import BaselineThresholds
from api.body import json_answer
from api.params import (
    MAX_TEXT,
    EndpointFilter,
    NoiseQuery,
    Window,
    engine_of,
    thresholds_of,
    window,
)
from api.problems import Problem, responses
from api.schemas import SignatureDetailOut, SignaturesOut
from storage.models import SignatureStatus
from storage.signature_report import signature_detail, signature_report

router = APIRouter(prefix="/signatures", tags=["signatures"])

MAX_SIGNATURES = 1000


@router.get("", response_model=SignaturesOut, responses=responses(400, 401, 422, 503))
async def signatures(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    thresholds: Annotated[BaselineThresholds, Depends(thresholds_of)],
    endpoint: EndpointFilter = None,
    status: Annotated[SignatureStatus | None, Query(description="triage state")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SIGNATURES, description="at most this many")] = 100,
    noise: NoiseQuery = "include",
) -> Response:
    """Signatures seen in the window, most frequent first (`shadowdiff signatures`).

    Counts are over the window, all time without `since` / `until`. With a
    secondary, each says whether its baseline explains it (`noise`), and the
    `noise` parameter leaves those out or lists them alone.
    """
    return await json_answer(
        request,
        lambda: signature_report(
            engine,
            endpoint=endpoint,
            since=w.since,
            until=w.until,
            status=status,
            run_id=w.run_id,
            limit=limit,
            noise=noise,
            thresholds=thresholds,
        ).to_json(),
    )


@router.get(
    "/{signature:path}",
    response_model=SignatureDetailOut,
    responses=responses(400, 401, 404, 422, 503),
)
async def signature(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    signature: Annotated[str, Path(max_length=MAX_TEXT)],
    endpoint: EndpointFilter = None,
) -> Response:
    """One signature counted over the window, with its example comparisons in full."""

    def detail() -> dict[str, Any]:
        found = signature_detail(
            engine, signature, endpoint=endpoint, since=w.since, until=w.until, run_id=w.run_id
        )
        if found is None:
            raise Problem(404, f"no signature {signature!r} in run {w.run_id!r} and this window")
        return found.to_json()

    return await json_answer(request, detail)
