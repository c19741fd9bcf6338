"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API gives, its own or FastAPI's (validation, unknown route,
wrong method), leaves through these handlers, so a client parses one shape.
The bodies say what went wrong and what to do, never more: no stack trace,
no SQL, no token.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import storage

log = logging.getLogger("api")

PROBLEM_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


class Problem(Exception):
    """An error to answer with: its status and a detail saying what to do."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def problem_body(status: int, detail: str, instance: str) -> dict[str, Any]:
    """The problem document for `status` at the path `instance`."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }


def problem_response(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = problem_body(status, detail, request.url.path)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses, each a problem document."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def _validation_detail(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Route every error of `app` through a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(request, error.status, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(request, 422, _validation_detail(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        status = error.status_code
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(status).phrase
        headers = dict(error.headers) if error.headers else None
        return problem_response(request, status, detail, headers)

    @app.exception_handler(storage.StoreUnavailable)
    async def _unavailable(request: Request, error: storage.StoreUnavailable) -> JSONResponse:
        log.warning("%s", error)
        return problem_response(request, 503, "the database cannot be reached; try again later")

    @app.exception_handler(storage.StorageError)
    async def _store(request: Request, error: storage.StorageError) -> JSONResponse:
        log.error("%s", error)
        return problem_response(
            request, 503, "the result store is not usable: run `shadowdiff db upgrade` on it"
        )
