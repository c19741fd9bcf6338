"""Time series drawn in the terminal (plotext): people look at trends, they don't read them."""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence

import plotext as plt

from storage.timeseries import Bucket, Series

LABEL_WIDTH = 24
"""Columns per time label on the x axis (a label is 16 characters, then space)."""


def chart(series: Series, *, width: int | None = None, height: int = 12, color: bool) -> str:
    """One endpoint's mismatch rate (%, left axis) and volume (right axis) as text."""
    columns = width or min(shutil.get_terminal_size((100, 24)).columns, 140)
    buckets = series.buckets
    # Braille draws two points a column: more than that only costs drawing
    # (a week of 5-minute buckets was most of the command's time).
    steps, rates, volume = points(buckets, limit=2 * columns)
    plt.clf()
    plt.plotsize(columns, height)
    plt.theme("clear")
    plt.title(series.endpoint)
    plt.plot(steps, rates, label="mismatch %", marker="braille")
    plt.plot(steps, volume, label="requests", yside="right", marker="dot")
    # Positions, labelled at a few evenly spaced points: handed dates, plotext
    # parsed every point's and spaced its ticks unevenly.
    ticks = [steps[i] for i in evenly_spaced(len(steps), max(2, columns // LABEL_WIDTH))]
    plt.xticks(ticks, [buckets[i].start.strftime("%Y-%m-%d %H:%M") for i in ticks])
    text: str = plt.build()
    return text if color else _plain(text)


def points(buckets: Sequence[Bucket], *, limit: int) -> tuple[list[int], list[float], list[float]]:
    """(position, mismatch %, requests per bucket), at most `limit` points.

    Past `limit`, runs of consecutive buckets become one point: its position
    is the run's first bucket, its rate the run's mismatches over its requests,
    its volume the run's mean per bucket (still requests per step).
    """
    size = max(1, math.ceil(len(buckets) / max(1, limit)))
    steps: list[int] = []
    rates: list[float] = []
    volume: list[float] = []
    for first in range(0, len(buckets), size):
        run = buckets[first : first + size]
        total = sum(b.total for b in run)
        steps.append(first)
        rates.append(100.0 * sum(b.mismatches for b in run) / total if total else 0.0)
        volume.append(total / len(run))
    return steps, rates, volume


def evenly_spaced(count: int, wanted: int) -> list[int]:
    """Up to `wanted` evenly spaced indices among `count`, the first and the last included."""
    if count <= 1:
        return list(range(count))
    chosen = min(count, wanted)
    if chosen <= 1:
        return [0]
    return sorted({round(i * (count - 1) / (chosen - 1)) for i in range(chosen)})


def _plain(text: str) -> str:
    # plotext ends every line with a reset sequence even without colours.
    return "\n".join(line.replace("\x1b[0m", "").rstrip() for line in text.splitlines())
