"""Time series per endpoint, read from the minute rollups.

Buckets are `step` long and aligned to the Unix epoch (UTC), so a 5-minute
bucket always starts at :00, :05, ...; every bucket in the window is present,
a quiet one with zeros, and one whose time retention removed is marked
`pruned` rather than reported as quiet. Latency percentiles come from the
merged histograms of the bucket's minutes (`storage.latency`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from storage import latency
from storage.engine import guard
from storage.models import LIVE_RUN, endpoint_minutes
from storage.queries import minute_filters, pruned_before, whole_minutes

STEPS: dict[str, timedelta] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
"""The bucket sizes a series can have, by name."""

MAX_BUCKETS = 10_000
"""Buckets per endpoint at most: a window and step asking for more are refused."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ERRORS = ("n_error_primary", "n_error_candidate", "n_error_both")
_ORPHANS = ("n_missing_primary", "n_missing_candidate")


@dataclass(frozen=True, slots=True)
class Latency:
    """p50 and p95 of one side in ms (None: no latency in the bucket)."""

    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, histogram: latency.Histogram) -> Latency:
        return cls(latency.quantile(histogram, 0.50), latency.quantile(histogram, 0.95))

    def to_json(self) -> dict[str, float | None]:
        return {"p50": self.p50, "p95": self.p95}


@dataclass(frozen=True, slots=True)
class Bucket:
    """One step of one endpoint's series."""

    start: datetime
    total: int
    mismatches: int
    orphans: int
    errors: int
    primary: Latency
    candidate: Latency
    pruned: bool = False

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "total": self.total,
            "mismatches": self.mismatches,
            "mismatch_rate": self.mismatch_rate,
            "orphans": self.orphans,
            "errors": self.errors,
            "latency_ms": {
                "primary": self.primary.to_json(),
                "candidate": self.candidate.to_json(),
            },
            "pruned": self.pruned,
        }


@dataclass(frozen=True, slots=True)
class Series:
    """One endpoint's buckets, oldest first."""

    endpoint: str
    buckets: tuple[Bucket, ...]

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "buckets": [b.to_json() for b in self.buckets]}


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """Every endpoint's series over one window, endpoints by name."""

    run_id: str
    step: str
    since: datetime
    until: datetime
    series: tuple[Series, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "step": self.step,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "series": [s.to_json() for s in self.series],
        }


def bucket_start(instant: datetime, step: timedelta) -> datetime:
    """The start of the step-long, epoch-aligned bucket that holds `instant`."""
    return _EPOCH + ((instant - _EPOCH) // step) * step


@dataclass(slots=True)
class _Tally:
    total: int = 0
    mismatches: int = 0
    orphans: int = 0
    errors: int = 0
    primary: list[str] = field(default_factory=list)  # histograms as stored
    candidate: list[str] = field(default_factory=list)


def timeseries(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    step: str = "5m",
    endpoint: str | None = None,
    run_id: str = LIVE_RUN,
) -> TimeSeries:
    """Each endpoint's buckets over [since, until) (endpoints with traffic in it).

    Raises ValueError for an unknown step, an empty window, or one needing
    more than `MAX_BUCKETS` buckets.
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}: use one of {', '.join(STEPS)}")
    size = STEPS[step]
    widened = whole_minutes(since, until)
    assert widened[0] is not None and widened[1] is not None
    since, until = widened[0], widened[1]
    if until <= since:
        raise ValueError("the window is empty: --until must be after --since")
    first, last = bucket_start(since, size), bucket_start(until - timedelta(microseconds=1), size)
    count = (last - first) // size + 1
    if count > MAX_BUCKETS:
        raise ValueError(
            f"{count} buckets of {step} is too many (at most {MAX_BUCKETS}): "
            "use a larger step or a shorter window"
        )
    em = endpoint_minutes
    query = (
        select(
            em.c.endpoint,
            em.c.minute,
            em.c.total,
            em.c.n_mismatch,
            *(em.c[c] for c in _ERRORS + _ORPHANS),
            em.c.primary_latency,
            em.c.candidate_latency,
        )
        .where(*minute_filters(em, run_id, endpoint, since, until))
        .order_by(em.c.endpoint, em.c.minute)
    )
    tallies: dict[str, dict[datetime, _Tally]] = {}
    with guard(engine), engine.connect() as connection:
        for row in connection.execute(query):
            name, minute = row[0], row[1]
            per_endpoint = tallies.setdefault(name, {})
            start = bucket_start(minute, size)
            tally = per_endpoint.get(start)
            if tally is None:
                tally = per_endpoint[start] = _Tally()
            tally.total += row[2]
            tally.mismatches += row[3]
            tally.errors += row[4] + row[5] + row[6]
            tally.orphans += row[7] + row[8]
            if row[9] != "{}":
                tally.primary.append(row[9])
            if row[10] != "{}":
                tally.candidate.append(row[10])
        gone = pruned_before(connection).get("rollups")
    starts = [first + i * size for i in range(count)]
    series = tuple(
        Series(name, tuple(_bucket(start, per_endpoint.get(start), gone) for start in starts))
        for name, per_endpoint in sorted(tallies.items())
    )
    return TimeSeries(run_id, step, since, until, series)


def _bucket(start: datetime, tally: _Tally | None, gone: datetime | None) -> Bucket:
    pruned = gone is not None and start < gone
    if tally is None:
        empty = Latency(None, None)
        return Bucket(start, 0, 0, 0, 0, empty, empty, pruned)
    return Bucket(
        start,
        tally.total,
        tally.mismatches,
        tally.orphans,
        tally.errors,
        Latency.of(latency.merge(latency.decode(t) for t in tally.primary)),
        Latency.of(latency.merge(latency.decode(t) for t in tally.candidate)),
        pruned,
    )
