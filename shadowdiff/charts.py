"""Time series drawn in the terminal (plotext): people look at trends, they don't read them."""

from __future__ import annotations

import shutil

import plotext as plt

from storage.timeseries import Series

_DATE_FORM = "Y-m-d H:M"


def chart(series: Series, *, width: int | None = None, height: int = 12, color: bool) -> str:
    """One endpoint's mismatch rate (%, left axis) and volume (right axis) as text."""
    columns = width or min(shutil.get_terminal_size((100, 24)).columns, 140)
    stamps = [b.start.strftime("%Y-%m-%d %H:%M") for b in series.buckets]
    rates = [100.0 * b.mismatch_rate for b in series.buckets]
    volume = [b.total for b in series.buckets]
    plt.clf()
    plt.plotsize(columns, height)
    plt.theme("clear")
    plt.date_form(_DATE_FORM)
    plt.title(series.endpoint)
    plt.plot(stamps, rates, label="mismatch %", marker="braille")
    plt.plot(stamps, volume, label="requests", yside="right", marker="dot")
    text: str = plt.build()
    return text if color else _plain(text)


def _plain(text: str) -> str:
    # plotext ends every line with a reset sequence even without colours.
    return "\n".join(line.replace("\x1b[0m", "").rstrip() for line in text.splitlines())
