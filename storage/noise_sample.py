"""A bounded sample of recent differences per endpoint, for learning noise.

Noise is learnt from values, which only the raw rows hold; so this reads, per
endpoint, the latest `per_endpoint` compared requests (verdict match or
mismatch) in the window and the value differences stored for them. The read
is bounded whatever the volume (the comparisons' endpoint-and-time index
finds the latest rows; their differences come by key), and the share of
pairs that differ at a path is exact within the sample. The differences come
as the noise learner takes them (`analysis.noise.Observed`, a pure value).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, select

from analysis.noise import Observed
from comparator.model import Verdict
from storage.engine import guard
from storage.jsontext import json_value
from storage.models import LIVE_RUN, comparisons, differences, endpoint_minutes
from storage.queries import minute_filters, whole_minutes

DEFAULT_SAMPLE = 2_000
"""Compared requests read per endpoint."""

_COMPARED = (Verdict.MATCH.value, Verdict.MISMATCH.value)


@dataclass(frozen=True, slots=True)
class EndpointSample:
    """An endpoint's sampled requests: how many, and their differences (values decoded)."""

    endpoint: str
    compared: int
    differences: tuple[Observed, ...]


def difference_sample(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    endpoint: str | None = None,
    run_id: str = LIVE_RUN,
    per_endpoint: int = DEFAULT_SAMPLE,
) -> tuple[EndpointSample, ...]:
    """Per endpoint with traffic in [since, until), its latest compared requests' differences."""
    start, end = whole_minutes(since, until)
    em, c, d = endpoint_minutes, comparisons, differences
    names = (
        select(em.c.endpoint)
        .where(*minute_filters(em, run_id, endpoint, start, end))
        .group_by(em.c.endpoint)
        .order_by(em.c.endpoint)
    )
    found = []
    with guard(engine), engine.connect() as connection:
        for name in connection.execute(names).scalars().all():
            latest = (
                select(c.c.request_id, c.c.observed_at)
                .where(
                    c.c.run_id == run_id,
                    c.c.endpoint == name,
                    c.c.observed_at >= start,
                    c.c.observed_at < end,
                    c.c.verdict.in_(_COMPARED),
                )
                .order_by(c.c.observed_at.desc(), c.c.request_id)
                .limit(per_endpoint)
                .subquery()
            )
            compared = len(connection.execute(select(latest.c.request_id)).all())
            rows = connection.execute(
                select(d.c.request_id, d.c.path, d.c.kind, d.c.primary_value, d.c.candidate_value)
                .join(
                    latest,
                    and_(
                        d.c.request_id == latest.c.request_id,
                        d.c.observed_at == latest.c.observed_at,
                    ),
                )
                # The window again, so PostgreSQL reads only its days' partitions.
                .where(d.c.run_id == run_id, d.c.observed_at >= start, d.c.observed_at < end)
                .order_by(latest.c.observed_at.desc(), d.c.request_id, d.c.seq)
            ).all()
            found.append(
                EndpointSample(
                    name,
                    compared,
                    tuple(
                        Observed(request_id, path, kind, _decode(primary), _decode(candidate))
                        for request_id, path, kind, primary, candidate in rows
                    ),
                )
            )
    return tuple(found)


def _decode(text: str | None) -> Any:
    return None if text is None else json_value(text)
