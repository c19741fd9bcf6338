"""How the archive names its files: partition, hour of event time, offset range.

    DIR/partition=3/2025-01-06T09_00000000000000001234-00000000000000005678.avro

A file holds every record of its partition whose event time (`started_at`)
falls in its hour and whose offset lies in its range (both ends included), and
nothing else. That statement is what makes a crashed archiver exact: a record
is written again only when no closed file's range of its hour covers its
offset. A file being written carries the `.partial` suffix until it is
complete and durable; then it is renamed to its final name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streams.replay.location import Location

HOUR = timedelta(hours=1)
PARTIAL_SUFFIX = ".partial"

_HOUR_FORMAT = "%Y-%m-%dT%H"
_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2})_(\d{20})-(\d{20})\.avro$")
_PARTITION = re.compile(r"^partition=(\d+)$")


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    """One closed archive file: partition, hour (its start, UTC) and offset range."""

    partition: int
    hour: datetime
    first: int
    last: int

    @property
    def name(self) -> str:
        return f"{self.hour.strftime(_HOUR_FORMAT)}_{self.first:020d}-{self.last:020d}.avro"

    @property
    def relative(self) -> str:
        """Its path under the archive's root: `partition=P/NAME`."""
        return f"{partition_folder(self.partition)}/{self.name}"

    def path(self, root: Path) -> Path:
        return partition_dir(root, self.partition) / self.name

    def covers(self, hour: datetime, offset: int) -> bool:
        """Whether this file holds the record of `hour` at `offset` (see the module doc)."""
        return hour == self.hour and self.first <= offset <= self.last


def partition_folder(partition: int) -> str:
    return f"partition={partition}"


def partition_dir(root: Path, partition: int) -> Path:
    return root / partition_folder(partition)


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partial_name(hour: datetime, first: int) -> str:
    """The name of a file still being written (its last offset is not known yet)."""
    return f"{hour.strftime(_HOUR_FORMAT)}_{first:020d}.avro{PARTIAL_SUFFIX}"


def parse_name(partition: int, name: str) -> ArchiveFile | None:
    """The `ArchiveFile` a closed file's name describes, or None for other names."""
    found = _NAME.match(name)
    if found is None:
        return None
    hour = datetime.strptime(found[1], _HOUR_FORMAT).replace(tzinfo=UTC)
    return ArchiveFile(partition, hour, int(found[2]), int(found[3]))


def list_archive(root: Path | Location) -> dict[int, list[ArchiveFile]]:
    """The closed files under `root`, per partition, in reading order (hour, then offset)."""
    location = Location.of(root)
    found: dict[int, list[ArchiveFile]] = {}
    for folder, is_dir in location.entries():
        match = _PARTITION.match(folder)
        if match is None or not is_dir:
            continue
        partition = int(match[1])
        names = (name for name, _ in location.entries(folder))
        files = [f for f in (parse_name(partition, name) for name in names) if f]
        if files:
            found[partition] = sorted(files, key=lambda f: (f.hour, f.first))
    return dict(sorted(found.items()))
