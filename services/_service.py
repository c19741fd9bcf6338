"""What the Kafka broker and the PostgreSQL server have in common.

Each is a server process this process owns, with every file it writes (its
configuration, its data and its log) in one data directory, which it creates
itself unless it is given one.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from services._process import ServiceError


class LocalService(ABC):
    """A local server process with a data directory of its own.

    Contract for subclasses: `start()` returns only once the service answers, and
    does nothing when it is running already; `stop()` leaves no process behind and
    keeps the data. `restart()` keeps the port and the data. As a context manager,
    leaving the block stops the service and deletes a data directory it created.
    """

    what: ClassVar[str]
    """The service as an error message names it ("kafka broker")."""

    def __init__(self, data_dir: Path | None) -> None:
        self._owns_data = data_dir is None
        self._data_dir = data_dir
        self._atexit_registered = False

    def not_started(self) -> ServiceError:
        """The error for asking a service that is not running what only a running one knows."""
        return ServiceError(f"the {self.what} has not been started")

    @property
    def data_dir(self) -> Path:
        if self._data_dir is None:
            raise self.not_started()
        return self._data_dir

    @property
    def log_path(self) -> Path:
        """The server's own log."""
        return self.data_dir / "server.log"

    @property
    @abstractmethod
    def running(self) -> bool: ...

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def restart(self) -> Self:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the service and delete its data directory if this object created it."""
        self.stop()
        if self._owns_data and self._data_dir is not None:
            shutil.rmtree(self._data_dir, ignore_errors=True)
            self._data_dir = None
            self._forget()

    @abstractmethod
    def _forget(self) -> None:
        """Drop what belonged to the deleted data directory (ports, for one)."""

    def _ensure_data_dir(self, prefix: str) -> Path:
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix=prefix))
        return self._data_dir

    def _stop_at_exit(self) -> None:
        # A test run that dies mid-way must not leave servers behind.
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
