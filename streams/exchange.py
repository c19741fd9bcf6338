"""One observed request/response exchange, as the gateway publishes it.

This is the in-memory form of a record of `streams/schema/exchange.avsc`; the
codec and the capture readers produce it, the join consumes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from comparator import Observation

Side = Literal["primary", "candidate", "secondary"]
"""Which backend answered: the old one (served to users), its rewrite, or a
second instance of the old one (a noise baseline)."""

SIDES: tuple[Side, ...] = ("primary", "candidate", "secondary")


@dataclass(frozen=True, slots=True)
class Exchange:
    """Both halves of one HTTP exchange seen by one backend.

    `started_at` is timezone-aware UTC event time. Header names are lower-case.
    `error` is set (e.g. "timeout", "connection refused") when the backend gave
    no HTTP answer; `status` is then None. `response_digest` (hex SHA-256) stands
    for a response body too large to keep: `response_body` is then empty and the
    comparator judges the body by digest alone.
    """

    request_id: str
    side: Side
    endpoint: str
    method: str
    path: str
    started_at: datetime
    status: int | None = None
    query: str = ""
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    content_type: str | None = None
    latency_ms: float | None = None
    backend_version: str | None = None
    error: str | None = None
    response_digest: str | None = None

    def within(self, max_body_bytes: int | None) -> Exchange:
        """This exchange, its response body replaced by its digest when over the limit."""
        if max_body_bytes is None or len(self.response_body) <= max_body_bytes:
            return self
        digest = hashlib.sha256(self.response_body).hexdigest()
        return replace(self, response_body=b"", response_digest=digest)

    def observation(self) -> Observation:
        """The part of this exchange the comparator judges."""
        return Observation(
            status=self.status,
            body=self.response_body,
            headers=self.response_headers,
            content_type=self.content_type,
            error=self.error,
            body_digest=self.response_digest,
        )
