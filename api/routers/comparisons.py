"""`/api/v1/comparisons`: stored comparisons page by page, and one with its differences."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Engine

import storage
from api.body import json_answer
from api.params import MAX_TEXT, EndpointFilter, RunName, Window, engine_of, window
from api.problems import Problem, responses
from api.schemas import ComparisonOut, ComparisonPageOut
from storage.comparison_list import MAX_PAGE_SIZE, BadPageToken, list_comparisons
from storage.models import LIVE_RUN, VERDICT_VALUES

router = APIRouter(prefix="/comparisons", tags=["comparisons"])


@router.get("", response_model=ComparisonPageOut, responses=responses(400, 401, 422, 503))
async def comparisons(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    endpoint: EndpointFilter = None,
    verdict: Annotated[
        str | None, Query(max_length=64, description=f"one of {', '.join(VERDICT_VALUES)}")
    ] = None,
    signature: Annotated[str | None, Query(min_length=1, max_length=MAX_TEXT)] = None,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    page_token: Annotated[
        str | None,
        Query(max_length=2048, description="`next_page_token` of the previous page"),
    ] = None,
) -> Response:
    """Comparisons in the window matching every filter, newest first.

    Follow `next_page_token` (null on the last page) as `page_token` with the
    same filters for the next page.
    """
    if verdict is not None and verdict not in VERDICT_VALUES:
        raise Problem(400, f"verdict must be one of {', '.join(VERDICT_VALUES)}")

    def page() -> dict[str, Any]:
        try:
            found = list_comparisons(
                engine,
                run_id=w.run_id,
                endpoint=endpoint,
                verdict=verdict,
                signature=signature,
                since=w.since,
                until=w.until,
                page_size=page_size,
                page_token=page_token,
            )
        except BadPageToken as error:
            raise Problem(400, str(error)) from None
        return found.to_json()

    return await json_answer(request, page)


@router.get(
    "/{request_id:path}", response_model=ComparisonOut, responses=responses(400, 401, 404, 422, 503)
)
async def comparison(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    request_id: Annotated[str, Path(max_length=MAX_TEXT)],
    run: RunName = LIVE_RUN,
) -> Response:
    """One stored comparison with its differences in order (`shadowdiff show --json`)."""

    def detail() -> dict[str, Any]:
        found = storage.comparison_detail(engine, request_id, run_id=run)
        if found is None:
            raise Problem(404, f"no comparison for request {request_id!r} in run {run!r}")
        return found.to_json()

    return await json_answer(request, detail)
