"""Tick records: event-time heartbeats appended to every input partition.

The join's clocks move with the records they read, so a partition with no new
traffic would never expire its waiting sides. The leader worker therefore
appends a small tick (marked by a header, value = its wall-clock time in ms) to
every partition every few seconds. When the join reaches a tick, everything
published before it on that partition has been read, so the tick's time is a
safe watermark, and it stays correct while a restarted worker catches up,
because the ticks sit in the log at the positions they were written.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

TICK_HEADER = "shadowdiff-tick"

_MS = struct.Struct(">q")


def encode_tick(epoch_ms: int) -> bytes:
    return _MS.pack(epoch_ms)


def decode_tick(value: bytes | None) -> datetime:
    (epoch_ms,) = _MS.unpack(value or b"")
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
