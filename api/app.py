"""The ASGI application: routers, auth, problem details, security headers, the dashboard.

`create_app` takes everything it needs in an `ApiConfig` built at the entry
point (`shadowdiff serve`); nothing here reads the environment. No CORS
middleware is installed: browsers keep other origins out, and the dashboard
is served from the same origin as the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sqlalchemy import Engine

from api import dashboard, problems
from api.auth import require_token
from api.params import known_parameters_only
from api.problems import problem_response
from api.routers import comparisons, endpoints, health, runs, signatures

API_PREFIX = "/api/v1"

MAX_BODY_BYTES = 16 * 1024
"""Request bodies larger than this are refused: the API only reads, so none need more."""

MAX_URL_BYTES = 8 * 1024
"""Request targets (path and query) longer than this are refused."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Sent with every response: no inline script runs, nothing frames a page."""


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """What the application serves: the store to read and the tokens that may read it."""

    engine: Engine
    tokens: tuple[str, ...]


def create_app(config: ApiConfig) -> FastAPI:
    """The API and dashboard over `config.engine`, every `/api` route behind a token."""
    if not config.tokens:
        raise ValueError("at least one API token is required")
    app = FastAPI(
        title="shadowdiff",
        summary="Read the results of comparing a primary backend with its rewrite.",
        description=(
            "Every `/api/v1` route needs `Authorization: Bearer TOKEN`. Endpoint names "
            "(`GET /users/{id}`) go in the `endpoint` query parameter. Errors are RFC 9457 "
            "problem details."
        ),
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # The middleware's bounds can answer any route.
        responses=problems.responses(411, 413, 414),
    )
    app.state.config = config
    problems.install(app)
    api = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(require_token), Depends(known_parameters_only)],
    )
    for module in (endpoints, signatures, comparisons, runs):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    dashboard.install(app)

    @app.middleware("http")
    async def _bounds_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        target = len(request.url.path) + len(request.url.query)
        length = request.headers.get("content-length", "0")
        if target > MAX_URL_BYTES:
            response: Response = problem_response(request, 414, "the request target is too long")
        elif not length.isdigit() or int(length) > MAX_BODY_BYTES:
            response = problem_response(request, 413, "the request body is too large")
        elif "transfer-encoding" in request.headers:
            response = problem_response(request, 411, "send a Content-Length, not chunks")
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app
