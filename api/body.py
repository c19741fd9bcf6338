"""JSON bodies written straight from the value objects' `to_json()`, by orjson.

A route returning a plain dict has FastAPI validate it against the response
model and serialise it again: for a week of 5-minute buckets that costs
three times the query. Routes return `JSONBody` instead; the models still
describe the answers in the OpenAPI document, and the schemathesis test
checks every answer against them.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


class JSONBody(Response):
    """An `application/json` response rendered by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
