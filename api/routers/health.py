"""`/healthz` (the process answers) and `/readyz` (the database answers): no token needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, text

from api.params import engine_of
from api.problems import Problem, responses
from api.schemas import HealthOut
from storage.engine import guard

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """Alive: the process serves requests."""
    return {"status": "ok"}


def _ping(engine: Engine) -> None:
    with guard(engine), engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get("/readyz", response_model=HealthOut, responses=responses(503))
async def readyz(engine: Annotated[Engine, Depends(engine_of)]) -> dict[str, str]:
    """Ready: the database answers a query."""
    try:
        await run_in_threadpool(_ping, engine)
    except Exception:
        raise Problem(503, "the database does not answer") from None
    return {"status": "ok"}
