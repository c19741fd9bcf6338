"""Reprocess sources at rest: a capture file, or an archive directory.

A source is a list of `Unit`s, each an ordered stream of exchanges that one
join reads from start to end: a capture is one unit; an archive directory is
one unit per partition (both sides of a request share a partition, as on
Kafka), its files read by hour of event time, then offset. A directory of
captures that are not archive files is one unit, its files in name order.

Units are what worker processes share out, and what checkpoints are kept for.
Sources are local paths or fsspec URLs (`streams.replay.location`), read alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from streams.capture import CaptureError, count_records, read_capture
from streams.exchange import Exchange
from streams.replay.layout import HOUR, list_archive
from streams.replay.location import Location

_CAPTURE_SUFFIXES = (".jsonl", ".ndjson", ".avro")


class SourceError(ValueError):
    """A source that cannot be reprocessed; the message says what to pass instead."""


@dataclass(frozen=True, slots=True)
class Window:
    """The requests a run judges: those observed in [start, end) (None: unbounded).

    Sides up to `grace` before `start` and after `end` are read too, so that
    requests near the edges find their counterparts.
    """

    start: datetime | None = None
    end: datetime | None = None
    grace: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")

    def reads(self, moment: datetime) -> bool:
        """Whether a side that started at `moment` is worth reading."""
        if self.start is not None and moment < self.start - self.grace:
            return False
        return self.end is None or moment < self.end + self.grace

    def keeps(self, observed_at: datetime) -> bool:
        """Whether a request observed at `observed_at` belongs to the run."""
        if self.start is not None and observed_at < self.start:
            return False
        return self.end is None or observed_at < self.end

    def overlaps_hour(self, hour: datetime) -> bool:
        """Whether any moment of the hour starting at `hour` is worth reading."""
        if self.start is not None and hour + HOUR <= self.start - self.grace:
            return False
        return self.end is None or hour < self.end + self.grace


@dataclass(frozen=True, slots=True)
class Position:
    """Record `record` (0-based) of the unit's file `file`."""

    file: str
    record: int


@dataclass(frozen=True, slots=True)
class Unit:
    """An ordered stream of exchanges that one join reads whole.

    `files` are paths under `location` (`partition=3/NAME.avro`, `NAME.jsonl`);
    positions and checkpoints name a file by its last part, `names`.
    """

    name: str
    files: tuple[str, ...]
    location: Location

    @property
    def names(self) -> list[str]:
        return [file.rsplit("/", 1)[-1] for file in self.files]

    def after(self, file: str) -> Unit:
        """This unit from its file named `file` on (all of it when no file is so named)."""
        names = self.names
        first = names.index(file) if file in names else 0
        return Unit(self.name, self.files[first:], self.location)

    def count(self) -> int:
        """About how many records the unit holds (for progress), read without decoding.

        0 (unknown) for files off the local disk: counting reads a file through,
        which on an object store would download everything twice.
        """
        if self.location.local is None:
            return 0
        total = 0
        for file in self.files:
            with self.location.open(file) as stream:
                total += count_records(file, stream=stream) or 0
        return total

    def read(self, start: Position | None = None) -> Iterator[tuple[Position, Exchange]]:
        """(position, exchange) from `start` (a position this unit yielded) to the end.

        Records before `start` are skipped without judging (they are decoded,
        which costs far less than judging and storing them again).
        """
        names = self.names
        first_file, first_record = 0, 0
        if start is not None:
            if start.file not in names:
                raise SourceError(
                    f"{self.name}: the checkpoint names {start.file}, which is no longer "
                    "in the source; delete the run (`shadowdiff runs delete`) to start over"
                )
            first_file, first_record = names.index(start.file), start.record
        for index in range(first_file, len(self.files)):
            file, name = self.files[index], names[index]
            skip = first_record if index == first_file else 0
            with self.location.open(file) as stream:
                records = itertools.islice(read_capture(file, stream=stream), skip, None)
                for number, exchange in enumerate(records, start=skip):
                    yield Position(name, number), exchange


def open_source(source: str | Path, window: Window) -> list[Unit]:
    """The units of a capture file or a directory, local or an fsspec URL.

    Raises `SourceError` saying what is wrong (`LocationError` for a URL that
    cannot be opened).
    """
    location = Location.of(source)
    if location.is_file():
        name = location.root.rsplit("/", 1)[-1]
        if Path(name).suffix.lower() not in _CAPTURE_SUFFIXES:
            raise SourceError(f"{source} is not a capture: use a .jsonl or .avro file")
        parent = Location(location.fs, location.root.rsplit("/", 1)[0] or "/", str(source))
        return [Unit(f"capture:{name}", (name,), parent)]
    if not location.is_dir():
        raise SourceError(f"no capture or archive directory at {source}")
    archive = list_archive(location)
    if archive:
        return [
            Unit(
                f"partition={partition}",
                tuple(f.relative for f in files if window.overlaps_hour(f.hour)),
                location,
            )
            for partition, files in archive.items()
        ]
    captures = sorted(
        name
        for name, is_dir in location.entries()
        if not is_dir and Path(name).suffix.lower() in _CAPTURE_SUFFIXES
    )
    if not captures:
        raise SourceError(
            f"{source} holds no archive files (partition=N/...) and no captures "
            "(.jsonl, .avro): pass an archive directory (`shadowdiff archive --to DIR`) "
            "or a capture file"
        )
    dir_name = location.root.rstrip("/").rsplit("/", 1)[-1]
    return [Unit(f"captures:{dir_name}", tuple(captures), location)]


__all__ = ["CaptureError", "Position", "SourceError", "Unit", "Window", "open_source"]
