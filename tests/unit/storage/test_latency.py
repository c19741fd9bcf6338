"""Latency histograms: buckets, merging, percentiles within half a bucket."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import latency


def test_buckets_are_eight_per_doubling_and_sub_millisecond_is_zero() -> None:
    assert latency.bucket(0.2) == 0 and latency.bucket(-1) == 0 and latency.bucket(math.nan) == 0
    assert latency.bucket(1.0) == 1
    assert latency.bucket(2.0) == 9 and latency.bucket(1.999) == 8
    assert latency.bucket(math.inf) > latency.bucket(1e9)


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_are_within_half_a_bucket(seed: int) -> None:
    rng = random.Random(seed)
    values = sorted(rng.lognormvariate(3.5, 1.0) for _ in range(5000))
    histogram: latency.Histogram = {}
    for value in values:
        latency.add(histogram, value)
    for q in (0.5, 0.95, 0.99):
        exact = values[math.ceil(q * len(values)) - 1]
        assert latency.quantile(histogram, q) == pytest.approx(exact, rel=0.045)
    assert latency.quantiles(histogram, (0.5, 0.95)) == [
        latency.quantile(histogram, 0.5),
        latency.quantile(histogram, 0.95),
    ]


def test_merge_adds_counts_and_text_round_trips() -> None:
    a, b = {3: 1, 9: 2}, {9: 1, 40: 5}
    merged = latency.merge([a, b])
    assert merged == {3: 1, 9: 3, 40: 5}
    assert latency.decode(latency.encode(merged)) == merged
    assert latency.encode({}) == "{}" and latency.decode("{}") == {}
    assert latency.quantile({}, 0.5) is None
    latency.add(a, None)
    assert a == {3: 1, 9: 2}


def test_the_writers_inline_buckets_are_latency_bucket() -> None:
    # storage.rollups.deltas inlines the bucket arithmetic for speed.
    from datetime import UTC, datetime

    from storage import rollups
    from tests.storage_contract import make_result

    rng = random.Random(3)
    samples = [0.0, 0.5, 1.0, 2.0, 1e6, math.inf, *(rng.lognormvariate(3, 2) for _ in range(500))]
    at = datetime(2024, 6, 1, tzinfo=UTC)
    results = []
    for i, ms in enumerate(samples):
        results.append(replace(make_result(f"r{i}", at=at), primary_latency_ms=ms))
    (minute,), _ = rollups.deltas(results)
    expected: latency.Histogram = {}
    for ms in samples:
        latency.add(expected, ms)
    assert minute.primary == expected


histograms = st.dictionaries(st.integers(0, 200), st.integers(1, 50), max_size=30)


@given(st.lists(histograms, max_size=8))
def test_dense_histograms_merge_and_rank_like_sparse_ones(parts: list[latency.Histogram]) -> None:
    merged = latency.merge(parts)
    dense = latency.merge_dense([latency.to_dense(h) for h in parts])
    assert dense == latency.to_dense(merged)
    qs = (0.01, 0.5, 0.95, 1.0)
    assert latency.dense_quantiles(dense, qs) == latency.quantiles(merged, qs)
