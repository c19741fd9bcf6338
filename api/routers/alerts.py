"""`/api/v1/alerts`: the alerts the judge raised, newest first (`shadowdiff alerts`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import Engine

from api.body import json_answer
from api.params import EndpointFilter, Window, engine_of, window
from api.problems import responses
from api.schemas import AlertsOut
from storage.alert_store import list_alerts
from storage.models import AlertState

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=AlertsOut, responses=responses(400, 401, 422, 503))
async def alerts(
    request: Request,
    engine: Annotated[Engine, Depends(engine_of)],
    w: Annotated[Window, Depends(window)],
    endpoint: EndpointFilter = None,
    state: Annotated[AlertState | None, Query(description="firing or resolved")] = None,
) -> Response:
    """Alerts opened in the window (event time), newest first, with the numbers that
    made each fire and example request ids: mismatch spikes, candidate errors,
    orphans and new signatures.
    """
    return await json_answer(
        request,
        lambda: {
            "run": w.run_id,
            "alerts": [
                alert.to_json()
                for alert in list_alerts(
                    engine,
                    run_id=w.run_id,
                    since=w.since,
                    until=w.until,
                    state=state,
                    endpoint=endpoint,
                )
            ],
        },
    )
