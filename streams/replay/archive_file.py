"""One archive file being written, and how it becomes durable.

Records are appended to `NAME.avro.partial` as an Avro object container file
of the Exchange schema (the capture format). Closing flushes the last block,
fsyncs the file, renames it to its final name (partition, hour, offset range;
see `streams.replay.layout`) and fsyncs the directory, so once `close` returns
the file survives a crash of the machine, and before it returns no final name
exists: a reader never sees half a file.

On another filesystem (an object store: `s3://`, `gs://`, ...; see
`streams.replay.location`) there is no atomic rename: a copy and a delete could
show a reader half a file, or leave two. There the records are spooled to a
local temporary file, and closing uploads it under its final name in one
piece; object stores make an object visible only once its upload (single or
multipart) completes, so the final name again appears only whole, and `close`
returns once the store has acknowledged it. Nothing `.partial` is ever written
there; a crash loses the spool file, whose records are read again.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from fastavro.write import Writer

from streams import codec
from streams.replay.layout import ArchiveFile, partial_name, partition_folder
from streams.replay.location import Location

Compression = Literal["deflate", "zstandard", "null"]
"""Block compression of archive files: ``deflate`` (what every Avro reader knows),
``zstandard`` (smaller and faster; fastavro's zstandard extra is installed with
shadowdiff), ``null`` (none)."""

DEFAULT_BLOCK_RECORDS = 1000


def fsync_dir(path: Path) -> None:
    """Make a rename or creation inside `path` durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class OpenFile:
    """The archive file of one partition and hour, open for appending in offset order."""

    def __init__(
        self,
        root: Path | Location,
        partition: int,
        hour: datetime,
        first: int,
        *,
        compression: Compression = "deflate",
        block_records: int = DEFAULT_BLOCK_RECORDS,
    ) -> None:
        self.root = Location.of(root)
        self.partition = partition
        self.hour = hour
        self.first = first
        self.last = first
        self.records = 0
        local = self.root.local
        if local is not None:
            folder = local / partition_folder(partition)
            folder.mkdir(parents=True, exist_ok=True)
            self.partial = folder / partial_name(hour, first)
            self._stream: BinaryIO = self.partial.open("wb")
        else:
            spool, name = tempfile.mkstemp(
                prefix="shadowdiff-archive-", suffix=partial_name(hour, first)
            )
            self._stream = os.fdopen(spool, "wb")
            self.partial = Path(name)
        self._writer = Writer(
            self._stream, codec.PARSED_SCHEMA, codec=compression, sync_interval=1 << 20
        )
        self._block_records = block_records

    def append(self, offset: int, record: dict[str, Any]) -> None:
        """Add the Avro datum read at `offset` (offsets must increase)."""
        if offset < self.last:
            raise ValueError(f"offset {offset} after {self.last}: records come in offset order")
        self._writer.write(record)
        self.last = offset
        self.records += 1
        if self._writer.block_count >= self._block_records:
            self._writer.dump()

    def close(self) -> ArchiveFile:
        """Make the file durable under its final name (see the module docstring); the file made."""
        self._writer.flush()
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        made = ArchiveFile(self.partition, self.hour, self.first, self.last)
        local = self.root.local
        if local is not None:
            final = made.path(local)
            os.replace(self.partial, final)
            fsync_dir(final.parent)
            return made
        try:
            self.root.makedirs(partition_folder(self.partition))
            self.root.fs.put_file(str(self.partial), self.root.path(made.relative))
        finally:
            self.partial.unlink(missing_ok=True)
        return made

    def abandon(self) -> None:
        """Drop the partial file (its records will be read and written again)."""
        self._stream.close()
        self.partial.unlink(missing_ok=True)
