"""Time series per endpoint, read from the minute rollups.

Buckets are `step` long and aligned to the Unix epoch (UTC), so a 5-minute
bucket always starts at :00, :05, ...; every bucket in the window is present,
a quiet one with zeros, and one whose time retention removed is marked
`pruned` rather than reported as quiet. Counts are summed from the minute
rollups; latency percentiles come from the bucket's merged histograms
(`storage.latency`): for steps of whole 5-minute spans, from the compacted
spans still true to their minutes (`storage.compaction`), else from the minutes.

With a secondary in the window, each bucket also counts its mismatches whose
problem the baseline explains over the whole window (`storage.noise_filter`),
from the signature rollups; the filter leaves them out of the bucket's
mismatches, or keeps them alone. Totals, orphans, errors and latency stay as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, TextClause, bindparam, text

from storage import compaction, latency, noise_filter
from storage.engine import guard
from storage.models import LIVE_RUN, UTCDateTime
from storage.noise_filter import NoiseFilter, Thresholds
from storage.queries import pruned_before, whole_minutes

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


@dataclass(frozen=True, slots=True)
class Latency:
    """p50 and p95 of one side in ms (None: no latency in the bucket)."""

    p50: float | None
    p95: float | None

    @classmethod
    def of(cls, histogram: latency.Dense) -> Latency:
        p50, p95 = latency.dense_quantiles(histogram, (0.50, 0.95))
        return cls(p50, p95)

    def to_json(self) -> dict[str, float | None]:
        return {"p50": self.p50, "p95": self.p95}


@dataclass(frozen=True, slots=True)
class Bucket:
    """One step of one endpoint's series.

    `mismatches` as the noise filter counts them; `noise`: the bucket's
    mismatches whose problem is noise, whatever the filter (None: the
    endpoint had no secondary in the window).
    """

    start: datetime
    total: int
    mismatches: int
    orphans: int
    errors: int
    primary: Latency
    candidate: Latency
    pruned: bool = False
    noise: int | None = None

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
            "noise": self.noise,
        }


@dataclass(frozen=True, slots=True)
class Series:
    """One endpoint's buckets, oldest first."""

    endpoint: str
    buckets: tuple[Bucket, ...]
    secondary: bool = False
    """Whether the endpoint had requests judged with a secondary in the window."""

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "buckets": [b.to_json() for b in self.buckets],
            "secondary": self.secondary,
        }


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """Every endpoint's series over one window, endpoints by name."""

    run_id: str
    step: str
    since: datetime
    until: datetime
    series: tuple[Series, ...]
    noise: NoiseFilter = "include"
    secondary: bool = False
    """Whether any endpoint had requests judged with a secondary in the window."""

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "step": self.step,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "series": [s.to_json() for s in self.series],
            "noise": self.noise,
            "secondary": self.secondary,
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
    primary: list[latency.Dense] = field(default_factory=list)
    candidate: list[latency.Dense] = field(default_factory=list)

    def add(self, counts: Sequence[int], primary: latency.Dense, candidate: latency.Dense) -> None:
        total, mismatches, errors, orphans = counts
        self.total += int(total)
        self.mismatches += int(mismatches)
        self.errors += int(errors)
        self.orphans += int(orphans)
        self.primary.append(primary)
        self.candidate.append(candidate)


_COUNTS = """
SELECT m.endpoint, {bucket} AS b, sum(m.total), sum(m.n_mismatch),
    sum(m.n_error_primary + m.n_error_candidate + m.n_error_both),
    sum(m.n_missing_primary + m.n_missing_candidate){histograms}
FROM endpoint_minutes AS m WHERE {where} GROUP BY m.endpoint, b
"""
"""A row per endpoint and `:step`-second bucket: its counts (and, for steps under
a span, its minutes' histograms as text)."""


def _joined(dialect: str, column: str) -> str:
    """SQL for a bucket's stored histograms, joined by commas (one JSON array's body)."""
    if dialect == "postgresql":
        return f"string_agg(m.{column}, ',')"
    return f"group_concat(m.{column}, ',')"


def timeseries(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    step: str = "5m",
    endpoint: str | None = None,
    run_id: str = LIVE_RUN,
    noise: NoiseFilter = "include",
    thresholds: Thresholds | None = None,
) -> TimeSeries:
    """Each endpoint's buckets over [since, until) (endpoints with traffic in it).

    `noise` keeps or leaves out the mismatches a secondary's baseline explains
    over the window, judged with `thresholds` (default: Diffy's). Raises
    ValueError for an unknown step, an empty window, or one needing
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
    where = "m.run_id = :run AND m.minute >= :since AND m.minute < :until"
    params: dict[str, object] = {"run": run_id, "since": since, "until": until}
    if endpoint is not None:
        where += " AND m.endpoint = :endpoint"
        params["endpoint"] = endpoint
    with guard(engine), engine.connect() as connection:
        if size % compaction.SPAN:
            tallies = _minute_tallies(connection, where, params, size)
        else:
            tallies = _span_tallies(connection, where, params, size)
        gone = pruned_before(connection).get("rollups")
        judged = noise_filter.judge(connection, run_id, endpoint, since, until, thresholds)
        noisy = noise_filter.noise_per_bucket(connection, judged, run_id, since, until, size)
    base = (first - _EPOCH) // size

    series = tuple(
        Series(
            name,
            tuple(
                _bucket(
                    first + i * size,
                    per_endpoint.get(base + i),
                    gone,
                    noise,
                    judged.noise_count(name, noisy.get((name, base + i), 0)),
                )
                for i in range(count)
            ),
            judged.has_secondary(name),
        )
        for name, per_endpoint in sorted(tallies.items())
    )
    return TimeSeries(run_id, step, since, until, series, noise, judged.secondary)


def _minute_tallies(
    connection: Connection, where: str, params: dict[str, object], size: timedelta
) -> dict[str, dict[int, _Tally]]:
    """Buckets shorter than a span: counts and histograms straight from the minutes."""
    dialect = connection.dialect.name
    histograms = f", {_joined(dialect, 'primary_latency')}, {_joined(dialect, 'candidate_latency')}"
    query = _typed(
        _COUNTS.format(bucket=compaction.epoch_bucket(dialect), where=where, histograms=histograms)
    )
    tallies: dict[str, dict[int, _Tally]] = {}
    step = {"step": int(size.total_seconds())}
    for name, number, *counts, primary, candidate in connection.execute(query, params | step):
        tallies.setdefault(name, {})[int(number)] = tally = _Tally()
        tally.add(
            counts,
            latency.to_dense(latency.decode(primary)),
            latency.to_dense(latency.decode(candidate)),
        )
    return tallies


def _span_tallies(
    connection: Connection, where: str, params: dict[str, object], size: timedelta
) -> dict[str, dict[int, _Tally]]:
    """Buckets of whole spans: counts from the minutes; latency from the compacted
    spans whose minutes still add up (`storage.compaction`), the others' from their minutes."""
    query = _typed(
        _COUNTS.format(
            bucket=compaction.epoch_bucket(connection.dialect.name), where=where, histograms=""
        )
    )
    counts: dict[compaction.SpanKey, Sequence[int]] = {
        (name, int(span)): numbers
        for name, span, *numbers in connection.execute(
            query, params | {"step": compaction.SPAN_SECONDS}
        ).all()  # one fetch: rows one by one cost more than the query
    }
    run_id, since, until = params["run"], params["since"], params["until"]
    assert isinstance(run_id, str) and isinstance(since, datetime) and isinstance(until, datetime)
    totals = {key: int(numbers[0]) for key, numbers in counts.items()}
    dense = compaction.span_latency(connection, run_id, totals, since=since, until=until)
    per_bucket = size // compaction.SPAN
    tallies: dict[str, dict[int, _Tally]] = {}
    for (name, span), numbers in counts.items():
        per_endpoint = tallies.setdefault(name, {})
        tally = per_endpoint.get(span // per_bucket)
        if tally is None:
            tally = per_endpoint[span // per_bucket] = _Tally()
        # Absent only if retention removed the span's minutes since they were counted.
        tally.add(numbers, *dense.get((name, span), ([], [])))
    return tallies


def _typed(statement: str) -> TextClause:
    # Bounds go through the column's type, so SQLite compares them in its text form.
    return text(statement).bindparams(
        bindparam("since", type_=UTCDateTime), bindparam("until", type_=UTCDateTime)
    )


def _bucket(
    start: datetime,
    tally: _Tally | None,
    gone: datetime | None,
    mode: NoiseFilter = "include",
    noise: int | None = None,
) -> Bucket:
    pruned = gone is not None and start < gone
    if tally is None:
        empty = Latency(None, None)
        return Bucket(start, 0, 0, 0, 0, empty, empty, pruned, noise)
    return Bucket(
        start,
        tally.total,
        noise_filter.filtered(mode, tally.mismatches, noise or 0),
        tally.orphans,
        tally.errors,
        Latency.of(latency.merge_dense(tally.primary)),
        Latency.of(latency.merge_dense(tally.candidate)),
        pruned,
        noise,
    )
