"""One observed request/response exchange, as the gateway publishes it.

This is the in-memory form of a record of `streams/schema/exchange.avsc`; the
codec and the capture readers produce it, the join consumes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    no HTTP answer; `status` is then None.
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

    def observation(self) -> Observation:
        """The part of this exchange the comparator judges."""
        return Observation(
            status=self.status,
            body=self.response_body,
            headers=self.response_headers,
            content_type=self.content_type,
            error=self.error,
        )
