"""Where an archive or a capture lives: a local directory, or a folder of an fsspec filesystem.

`Location.of("archive/")` is a local directory; `Location.of("s3://bucket/archive")`
(or `gs://`, `az://`, `memory://`, `file://`, any URL fsspec knows) is a folder
on that filesystem. Object-store protocols need their fsspec package installed
(s3fs, gcsfs, adlfs); the error says which.

Both kinds are read the same way (listing, opening). They differ in how a file
is made durable, which is the archive's business (`streams.replay.archive_file`):
a local directory (`file://` included) gets a `.partial` file, fsync and an
atomic rename; any other filesystem gets each file uploaded under its final name
once complete, in one piece.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import fsspec
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem


class LocationError(ValueError):
    """A location that cannot be used; the message says what to install or pass."""


@dataclass(frozen=True, slots=True)
class Location:
    """A folder: `fs` and its `root` path there; `url` as the user gave it (for messages)."""

    fs: AbstractFileSystem
    root: str
    url: str

    @classmethod
    def of(cls, target: str | Path | Location) -> Location:
        """The location `target` names: a local path, or an fsspec URL (`PROTOCOL://...`)."""
        if isinstance(target, Location):
            return target
        text = str(target)
        if "://" not in text:
            return cls(LocalFileSystem(), str(Path(text).absolute()), text)
        try:
            fs, root = fsspec.core.url_to_fs(text)
        except ImportError as error:
            raise LocationError(f"{text}: {error}") from None
        except ValueError as error:  # an unknown protocol
            raise LocationError(
                f"{text}: {error}; pass a local directory or a URL fsspec knows "
                "(s3://, gs://, az://, file://, memory://)"
            ) from None
        return cls(fs, root.rstrip("/") or "/", text)

    @property
    def local(self) -> Path | None:
        """The directory on this machine's disk, or None for any other filesystem."""
        return Path(self.root) if isinstance(self.fs, LocalFileSystem) else None

    def path(self, *parts: str) -> str:
        """The filesystem path of `parts` under the root."""
        return "/".join([self.root.rstrip("/"), *parts]) if parts else self.root

    def child(self, name: str) -> Location:
        """The folder `name` under this one."""
        return Location(self.fs, self.path(name), f"{self.url.rstrip('/')}/{name}")

    def entries(self, *parts: str) -> list[tuple[str, bool]]:
        """(name, is a directory) of what lies in `parts`; empty when it is no directory."""
        try:
            found: list[dict[str, Any]] = self.fs.ls(self.path(*parts), detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [
            (str(entry["name"]).rstrip("/").rsplit("/", 1)[-1], entry["type"] == "directory")
            for entry in found
        ]

    def is_dir(self, *parts: str) -> bool:
        return bool(self.fs.isdir(self.path(*parts)))

    def is_file(self, *parts: str) -> bool:
        return bool(self.fs.isfile(self.path(*parts)))

    def open(self, *parts: str) -> IO[bytes]:
        """The file at `parts`, open for reading bytes."""
        opened: IO[bytes] = self.fs.open(self.path(*parts), "rb")
        return opened

    def remove(self, *parts: str) -> None:
        self.fs.rm_file(self.path(*parts))

    def makedirs(self, *parts: str) -> None:
        self.fs.makedirs(self.path(*parts), exist_ok=True)

    def __str__(self) -> str:
        return self.url
