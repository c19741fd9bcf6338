"""Latency histograms that merge: fixed log-scale buckets, counts per bucket.

A minute's latencies of one endpoint and side are kept as counts per bucket,
never as the values, so minutes add up to hours and days by adding counts, and
a percentile of any range is read from the merged counts. Bucket `b >= 1`
holds latencies in [2^((b-1)/8), 2^(b/8)) ms, eight buckets per doubling, each
about 9 % wide; bucket 0 holds everything under 1 ms. A percentile is reported
as its bucket's geometric middle, so it is within 4.5 % of the true value
(half a bucket's width), whatever the distribution.

Stored as compact JSON objects of bucket -> count (`{"52":3,"53":1}`): only
the buckets in use, on every dialect. A minute's column may hold several such
objects joined by commas until the database folds them (`storage.rollups`).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, zip_longest

import orjson

BUCKETS_PER_DOUBLING = 8

Histogram = dict[int, int]
"""Bucket index -> how many latencies fell in it."""


def bucket(ms: float) -> int:
    """The bucket of a latency in milliseconds (negative and NaN count as 0 ms)."""
    if not ms >= 1.0:  # also NaN
        return 0
    if math.isinf(ms):
        ms = 1e300
    return 1 + math.floor(BUCKETS_PER_DOUBLING * math.log2(ms))


def middle_ms(index: int) -> float:
    """The geometric middle of a bucket, the value a percentile reports."""
    if index <= 0:
        return 0.5
    return float(2.0 ** ((index - 0.5) / BUCKETS_PER_DOUBLING))


def add(histogram: Histogram, ms: float | None) -> None:
    """Count one latency (None: the side gave none, nothing is counted)."""
    if ms is not None:
        index = bucket(ms)
        histogram[index] = histogram.get(index, 0) + 1


def merge(histograms: Iterable[Mapping[int, int]]) -> Histogram:
    """The sum of several histograms."""
    total: Histogram = {}
    for histogram in histograms:
        for index, count in histogram.items():
            total[index] = total.get(index, 0) + count
    return total


def quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The `q` quantile (0 < q <= 1) in ms, or None for an empty histogram.

    The nearest-rank definition: the smallest bucket with at least q·n values
    at or below it.
    """
    return quantiles(histogram, (q,))[0]


def quantiles(histogram: Mapping[int, int], qs: Sequence[float]) -> list[float | None]:
    """Several quantiles (ascending `qs`) in one pass over the buckets."""
    n = sum(histogram.values())
    if n == 0:
        return [None] * len(qs)
    ranks = [max(1, math.ceil(q * n)) for q in qs]
    found: list[float | None] = []
    want, seen = ranks[0], 0
    for index in sorted(histogram):
        seen += histogram[index]
        while seen >= want:
            found.append(middle_ms(index))
            if len(found) == len(ranks):
                return found
            want = ranks[len(found)]
    raise AssertionError("unreachable: the ranks are at most n")


def encode(histogram: Mapping[int, int]) -> str:
    """JSON text of a histogram, buckets in order (`{}` when empty)."""
    return orjson.dumps({str(i): histogram[i] for i in sorted(histogram)}).decode()


def decode(text: str | None) -> Histogram:
    """A stored histogram back as bucket -> count.

    The text may be several JSON objects joined by commas, as the writer
    appends a batch's histogram to a minute's (`storage.rollups.FOLD_AT`):
    they are added up.
    """
    if not text:
        return {}
    total: Histogram = {}
    for part in orjson.loads(f"[{text}]"):
        for key, count in part.items():
            index = int(key)
            total[index] = total.get(index, 0) + int(count)
    return total


# -- dense form: what compacted spans store, merged in C loops ---------------

Dense = list[int]
"""A histogram as `[first, c0, c1, ...]`: the count of bucket `first + i` at
`1 + i`; `[]` when empty. Adding many of them is a few C-level passes
(`merge_dense`) where the bucket -> count form costs a Python step per bucket,
which is what a long series of a busy endpoint would otherwise pay."""


def to_dense(histogram: Mapping[int, int]) -> Dense:
    """The dense form of a bucket -> count histogram."""
    if not histogram:
        return []
    first, last = min(histogram), max(histogram)
    return [first, *(histogram.get(i, 0) for i in range(first, last + 1))]


def merge_dense(histograms: Sequence[Dense]) -> Dense:
    """The sum of several dense histograms."""
    present = [h for h in histograms if h]
    if len(present) <= 1:
        return list(present[0]) if present else []
    first = min(h[0] for h in present)
    aligned = [[0] * (h[0] - first) + h[1:] for h in present]
    return [first, *map(sum, zip_longest(*aligned, fillvalue=0))]


def dense_quantiles(histogram: Dense, qs: Sequence[float]) -> list[float | None]:
    """`quantiles` of a dense histogram (ascending `qs`), by the same nearest rank."""
    if not histogram:
        return [None] * len(qs)
    cumulative = list(accumulate(histogram[1:]))
    n = cumulative[-1]
    if n == 0:
        return [None] * len(qs)
    first = histogram[0]
    return [middle_ms(first + bisect_left(cumulative, max(1, math.ceil(q * n)))) for q in qs]
