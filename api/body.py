"""JSON bodies written straight from the value objects' `to_json()`, by orjson, and cached.

A route returning a plain dict has FastAPI validate it against the response
model and serialise it again: for a week of 5-minute buckets that costs
three times the query. Routes answer through `json_answer` instead; the
models still describe the answers in the OpenAPI document, and the
schemathesis test checks every answer against them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool

from api.cache import AnswerCache, cache_key

CACHE_HEADER = "X-Cache"
"""`hit`, `miss` or `shared` (see `api.cache.Source`): how fresh an answer is, told."""


async def json_answer(request: Request, compute: Callable[[], Any]) -> Response:
    """`compute()`'s JSON value as `application/json`, through the app's answer cache.

    `compute` runs in a worker thread (it queries the store) and renders
    there too; it raises `Problem` for an error answer, which is never kept.
    """
    cache: AnswerCache = request.app.state.cache

    def rendered() -> bytes:
        return orjson.dumps(compute())

    async def computed() -> bytes:
        return await run_in_threadpool(rendered)

    key = cache_key(request.scope["path"], request.scope["query_string"].decode("latin-1"))
    found = await cache.answer(key, computed)
    return Response(found.body, media_type="application/json", headers={CACHE_HEADER: found.source})
