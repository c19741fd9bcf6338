"""Stored comparisons one page at a time, newest first, filtered and keyset-paginated.

Pages follow (observed_at, request_id) downwards, so page N costs the same
as page 1 at any depth and a row written while someone pages never shifts
the rows they have yet to see. The cursor travels as an opaque `page_token`:
URL-safe text that only this module reads.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, and_, or_, select

from storage.engine import guard
from storage.models import LIVE_RUN, comparisons

MAX_PAGE_SIZE = 500
"""Rows one page may hold at most: a larger page is refused, not trimmed."""


class BadPageToken(ValueError):
    """A `page_token` this module did not make (or one for another query's order)."""

    def __init__(self) -> None:
        super().__init__(
            "page_token is not one this server issued: start again without it and "
            "follow next_page_token"
        )


@dataclass(frozen=True, slots=True)
class ComparisonSummary:
    """One stored comparison as a list shows it (its differences: `comparison_detail`)."""

    run_id: str
    request_id: str
    endpoint: str
    method: str
    observed_at: datetime
    verdict: str
    primary_status: int | None
    candidate_status: int | None
    primary_latency_ms: float | None
    candidate_latency_ms: float | None
    signature: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "request_id": self.request_id,
            "endpoint": self.endpoint,
            "method": self.method,
            "observed_at": self.observed_at.isoformat(),
            "verdict": self.verdict,
            "primary_status": self.primary_status,
            "candidate_status": self.candidate_status,
            "primary_latency_ms": self.primary_latency_ms,
            "candidate_latency_ms": self.candidate_latency_ms,
            "signature": self.signature,
        }


@dataclass(frozen=True, slots=True)
class ComparisonPage:
    """A page of comparisons, newest first; `next_page_token` is None on the last page."""

    run_id: str
    comparisons: tuple[ComparisonSummary, ...]
    next_page_token: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "comparisons": [c.to_json() for c in self.comparisons],
            "next_page_token": self.next_page_token,
        }


def encode_token(observed_at: datetime, request_id: str) -> str:
    """The opaque cursor after the row (observed_at, request_id)."""
    raw = orjson.dumps([observed_at.isoformat(), request_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[datetime, str]:
    """(observed_at, request_id) of a cursor from `encode_token`; BadPageToken otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        at, request_id = orjson.loads(raw)
        instant = datetime.fromisoformat(at)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise BadPageToken() from None
    if not isinstance(request_id, str) or instant.tzinfo is None:
        raise BadPageToken()
    return instant, request_id


def list_comparisons(
    engine: Engine,
    *,
    run_id: str = LIVE_RUN,
    endpoint: str | None = None,
    verdict: str | None = None,
    signature: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = 50,
    page_token: str | None = None,
) -> ComparisonPage:
    """Comparisons in [since, until) matching every filter given, newest first.

    Raises ValueError when `page_size` is outside 1..MAX_PAGE_SIZE and
    BadPageToken for a token that is not a cursor.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    c = comparisons.c
    where: list[ColumnElement[bool]] = [c.run_id == run_id]
    if endpoint is not None:
        where.append(c.endpoint == endpoint)
    if verdict is not None:
        where.append(c.verdict == verdict)
    if signature is not None:
        where.append(c.signature == signature)
    if since is not None:
        where.append(c.observed_at >= since)
    if until is not None:
        where.append(c.observed_at < until)
    if page_token is not None:
        after_at, after_id = decode_token(page_token)
        where.append(
            or_(c.observed_at < after_at, and_(c.observed_at == after_at, c.request_id < after_id))
        )
    query = (
        select(
            c.run_id,
            c.request_id,
            c.endpoint,
            c.method,
            c.observed_at,
            c.verdict,
            c.primary_status,
            c.candidate_status,
            c.primary_latency_ms,
            c.candidate_latency_ms,
            c.signature,
        )
        .where(*where)
        .order_by(c.observed_at.desc(), c.request_id.desc())
        .limit(page_size + 1)  # one more than shown says whether a next page exists
    )
    with guard(engine), engine.connect() as connection:
        rows = connection.execute(query).all()
    found = tuple(ComparisonSummary(*row) for row in rows[:page_size])
    token = None
    if len(rows) > page_size:
        last = found[-1]
        token = encode_token(last.observed_at, last.request_id)
    return ComparisonPage(run_id, found, token)
