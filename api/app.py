"""The ASGI application: routers, the gate, problem details, the dashboard.

`create_app` takes everything it needs in an `ApiConfig` built at the entry
point (`shadowdiff serve`); nothing here reads the environment. No CORS
middleware is installed: browsers keep other origins out, and the dashboard
is served from the same origin as the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Engine

from analysis.baseline import BaselineThresholds
from analysis.readiness_rules import ReadinessBook
from api import dashboard, problems, signin
from api.auth import require_token
from api.cache import AnswerCache
from api.gate import API_PREFIX, Gate
from api.params import known_parameters_only
from api.routers import alerts, comparisons, endpoints, health, readiness, runs, signatures


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the application serves: the store to read and the tokens that may read it."""

    engine: Engine
    tokens: tuple[str, ...]
    cache_seconds: float = 0.0
    """How old an answer may be (`api.cache`); 0 computes every answer afresh."""
    readiness: ReadinessBook = field(default_factory=ReadinessBook)
    """The readiness criteria (the rules file's `readiness:` section)."""
    noise_thresholds: BaselineThresholds = field(default_factory=BaselineThresholds)
    """Diffy's thresholds the noise filters judge by (NOISE_*_THRESHOLD)."""


def create_app(config: ApiConfig) -> FastAPI:
    """The API and dashboard over `config.engine`, every route but health behind a token."""
    if not config.tokens:
        raise ValueError("at least one API token is required")
    app = FastAPI(
        title="shadowdiff",
        summary="Read the results of comparing a primary backend with its rewrite.",
        description=(
            "Every `/api/v1` route needs `Authorization: Bearer TOKEN` (or the dashboard's "
            "sign-in cookie). Endpoint names (`GET /users/{id}`) go in the `endpoint` query "
            "parameter. Errors are RFC 9457 problem details."
        ),
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # The gate's bounds can answer any route.
        responses=problems.responses(411, 413, 414),
    )
    cache = AnswerCache(config.cache_seconds)
    app.state.config = config
    app.state.cache = cache
    problems.install(app)
    api = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(require_token), Depends(known_parameters_only)],
    )
    for module in (endpoints, signatures, comparisons, runs, alerts, readiness):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(signin.router)
    dashboard.install(app)
    app.add_middleware(Gate, tokens=config.tokens, cache=cache)
    return app
