"""The archive of one partition: records in, closed hourly files out, a safe commit offset.

Contract, for one partition consumed in offset order:

- Every record goes to the open file of its hour of event time (`started_at`),
  unless a closed file of that hour already covers its offset (it was archived
  before a crash, which left the consumer's committed offset behind it): it is
  then skipped, so re-reading after a crash never duplicates a record.
- An hour's file is closed (made durable, renamed to its final name) once the
  partition's watermark (the newest event time seen, ticks included) is
  `close_after` past the hour's end, or when it has been open `max_open_s`
  seconds of wall-clock time. A record of an hour whose file was closed opens
  a new file of that hour (with a later offset range).
- `commit_offset` is the offset before which every record is in a closed
  file: the first offset of the oldest open file, or the next offset to read
  when none is open. Committing it (after the closes) is what makes the group
  exact: a crash re-reads from there, re-writes the open files under the same
  first offsets, and skips what the closed files hold.
- Records that are not exchanges (undecodable, a tick) are not archived.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from streams import codec
from streams.replay.archive_file import Compression, OpenFile
from streams.replay.layout import (
    HOUR,
    PARTIAL_SUFFIX,
    ArchiveFile,
    hour_of,
    list_archive,
    partition_folder,
)
from streams.replay.location import Location


@dataclass(slots=True)
class ArchiveCounters:
    archived: int = 0
    skipped: int = 0  # already in a closed file
    undecodable: int = 0
    files: int = 0


class PartitionArchive:
    """One partition's open files and closed ranges; see the module docstring."""

    def __init__(
        self,
        root: Path | Location,
        partition: int,
        *,
        compression: Compression = "deflate",
        close_after: timedelta = timedelta(minutes=1),
        max_open_s: float = 600.0,
        schema_id: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Location.of(root)
        self.partition = partition
        self.compression: Compression = compression
        self.close_after = close_after
        self.max_open_s = max_open_s
        self.schema_id = schema_id
        self.counters = ArchiveCounters()
        self._clock = clock
        self._open: dict[datetime, tuple[OpenFile, float]] = {}
        self._closed: dict[datetime, list[ArchiveFile]] = {}
        self._watermark: datetime | None = None
        self._next_offset: int | None = None
        folder = partition_folder(partition)
        for name, _ in self.root.entries(folder):
            if name.endswith(PARTIAL_SUFFIX):  # a crash left it half-written; read again
                self.root.remove(folder, name)
        for made in list_archive(self.root).get(partition, []):
            self._closed.setdefault(made.hour, []).append(made)

    def add(self, offset: int, value: bytes | None, *, tick: datetime | None = None) -> None:
        """Take the record at `offset` (a tick passes its time instead of an exchange)."""
        self._next_offset = offset + 1
        if tick is not None:
            self._advance(tick)
            return
        try:
            exchange = codec.decode(value or b"", schema_id=self.schema_id, max_body_bytes=None)
        except codec.DecodeError:
            self.counters.undecodable += 1
            return
        hour = hour_of(exchange.started_at)
        if any(made.covers(hour, offset) for made in self._closed.get(hour, ())):
            self.counters.skipped += 1
            return
        entry = self._open.get(hour)
        if entry is None:
            entry = self._open[hour] = (
                OpenFile(self.root, self.partition, hour, offset, compression=self.compression),
                self._clock(),
            )
        entry[0].append(offset, codec.to_record(exchange))
        self.counters.archived += 1
        self._advance(exchange.started_at)

    def _advance(self, moment: datetime) -> None:
        if self._watermark is None or moment > self._watermark:
            self._watermark = moment

    def close_ready(self) -> list[ArchiveFile]:
        """Close the files whose hour is over (or that are open too long); the files made."""
        now = self._clock()
        watermark = self._watermark
        ready = [
            hour
            for hour, (_, opened) in self._open.items()
            if (watermark is not None and watermark >= hour + HOUR + self.close_after)
            or now - opened >= self.max_open_s
        ]
        return [self._close(hour) for hour in sorted(ready)]

    def close_all(self) -> list[ArchiveFile]:
        """Close every open file (shutdown, or the partition moving to another process)."""
        return [self._close(hour) for hour in sorted(self._open)]

    def abandon(self) -> None:
        """Drop the open files unwritten (their records will be read again)."""
        for open_file, _ in self._open.values():
            open_file.abandon()
        self._open.clear()

    def _close(self, hour: datetime) -> ArchiveFile:
        open_file, _ = self._open.pop(hour)
        made = open_file.close()
        self._closed.setdefault(hour, []).append(made)
        self.counters.files += 1
        return made

    def commit_offset(self) -> int | None:
        """The offset to commit: every record before it is in a closed, durable file."""
        if self._open:
            return min(open_file.first for open_file, _ in self._open.values())
        return self._next_offset
