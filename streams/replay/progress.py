"""The progress of a replay: records read, requests judged per second, time left.

On a terminal one line is redrawn in place a few times a second; elsewhere (a
log file, CI) a full line is printed every `interval` seconds, so logs stay
short and still show the job is alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Counts records and judged requests against an expected total of records."""

    def __init__(
        self,
        total: int | None,
        stream: TextIO,
        *,
        label: str = "reprocess",
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.records = 0
        self.judged = 0
        self._stream = stream
        self._label = label
        self._tty = stream.isatty()
        self._interval = interval if interval is not None else (0.2 if self._tty else 5.0)
        self._clock = clock
        self._started = clock()
        self._shown = self._started

    def update(self, records: int, judged: int) -> None:
        self.records += records
        self.judged += judged
        now = self._clock()
        if now - self._shown >= self._interval:
            self._shown = now
            self._show(self.line(now))

    def line(self, now: float | None = None) -> str:
        """`label  N/TOTAL records  R pairs/s  ETA H:MM:SS` (what is known of it)."""
        elapsed = max((now if now is not None else self._clock()) - self._started, 1e-9)
        parts = [self._label]
        if self.total:
            share = min(self.records / self.total, 1.0)
            parts.append(f"{self.records:,}/{self.total:,} records ({share:.0%})")
        else:
            parts.append(f"{self.records:,} records")
        parts.append(f"{self.judged / elapsed:,.0f} pairs/s")
        if self.total and self.records:
            left = max(self.total - self.records, 0) * elapsed / self.records
            parts.append(f"ETA {_duration(left)}")
        return "  ".join(parts)

    def close(self) -> None:
        """Show the final numbers (and end the redrawn line on a terminal)."""
        self._show(self.line())
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()

    def _show(self, text: str) -> None:
        if self._tty:
            self._stream.write("\r\x1b[2K" + text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()
