"""The terminal chart: what it plots, where it labels time, and that it draws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from shadowdiff.charts import chart, evenly_spaced, points
from storage.timeseries import Bucket, Latency, Series

T0 = datetime(2026, 11, 24, 20, 10, tzinfo=UTC)
NONE = Latency(None, None)


def _bucket(i: int, total: int, mismatches: int) -> Bucket:
    return Bucket(T0 + timedelta(minutes=5 * i), total, mismatches, 0, 0, NONE, NONE)


def test_few_buckets_are_plotted_as_they_are() -> None:
    buckets = [_bucket(0, 10, 1), _bucket(1, 0, 0), _bucket(2, 4, 4)]
    assert points(buckets, limit=10) == ([0, 1, 2], [10.0, 0.0, 100.0], [10.0, 0.0, 4.0])


def test_past_the_limit_runs_of_buckets_keep_their_rate_and_volume_per_step() -> None:
    buckets = [_bucket(0, 10, 0), _bucket(1, 30, 20), _bucket(2, 0, 0), _bucket(3, 0, 0)]
    steps, rates, volume = points(buckets, limit=2)
    assert steps == [0, 2]
    assert rates == [50.0, 0.0]  # 20 of 40, not the mean of 0 % and 66.7 %
    assert volume == [20.0, 0.0]  # requests per bucket, as without merging


@given(st.lists(st.integers(0, 50), max_size=300), st.integers(1, 80))
def test_merging_keeps_every_request_and_stays_within_the_limit(
    totals: list[int], limit: int
) -> None:
    buckets = [_bucket(i, n, n // 2) for i, n in enumerate(totals)]
    steps, _, volume = points(buckets, limit=limit)
    assert len(steps) <= limit
    assert steps == sorted(steps) and (not steps or steps[0] == 0)
    size = steps[1] - steps[0] if len(steps) > 1 else len(buckets)
    counted = sum(v * len(buckets[s : s + size]) for s, v in zip(steps, volume, strict=True))
    assert round(counted) == sum(totals)


@given(st.integers(0, 3000), st.integers(1, 10))
def test_labels_are_evenly_spaced_from_the_first_point_to_the_last(count: int, wanted: int) -> None:
    chosen = evenly_spaced(count, wanted)
    assert len(chosen) <= max(1, wanted) and chosen == sorted(set(chosen))
    if count:
        assert chosen[0] == 0
    if count and wanted > 1:
        assert chosen[-1] == count - 1
        gaps = {b - a for a, b in pairwise(chosen)}
        assert max(gaps, default=0) - min(gaps, default=0) <= 1


def test_a_week_of_five_minute_buckets_is_drawn_with_its_first_and_last_times() -> None:
    week = [_bucket(i, 10, i % 3) for i in range(7 * 24 * 12)]
    text = chart(Series("GET /courses", tuple(week)), width=100, color=False)
    assert "GET /courses" in text and "mismatch %" in text
    assert T0.strftime("%Y-%m-%d %H:%M") in text
    # The last label is the start of the last plotted run of buckets.
    steps, _, _ = points(week, limit=200)
    assert week[steps[-1]].start.strftime("%Y-%m-%d %H:%M") in text
    assert "\x1b[" not in text
