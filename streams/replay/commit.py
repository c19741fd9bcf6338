"""Batches stored in the background while the next one is read and judged.

A reprocess is one thread of Python reading, joining and judging, and a writer
that spends most of a batch waiting on the database (the COPY, the rollup
statements, the commit: server time, not ours). `Committer` writes each batch,
then saves its checkpoint, on a thread of its own, so that waiting overlaps
with the reading of the next batch. psycopg releases the interpreter lock while
it waits, so the overlap is real on one core.

Contract:

- At most one batch is in flight: `submit` first waits for the previous one
  (backpressure; memory holds two batches at most). Batches are written, and
  their `then` callbacks run, in submission order, each after its batch has
  committed: a checkpoint saved in `then` never runs ahead of stored results.
- An error of the writer (or of a `then`) is raised by the next `submit` or by
  `finish`; nothing submitted after it is written.
- `finish` waits for the batch in flight and raises its error. Call it on every
  path out (`with Committer(...)` does, on errors too), so that no write is cut
  off mid-transaction by the engine being disposed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from types import TracebackType

from comparator import Result
from storage import ResultWriter

Then = Callable[[int], None]
"""Called on the writing thread once a batch has committed, with how many rows were new."""


class Committer:
    """Writes batches of results on a background thread, one in flight; see the module doc."""

    def __init__(self, writer: ResultWriter) -> None:
        self._writer = writer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-writer")
        self._in_flight: Future[None] | None = None

    def submit(self, results: Sequence[Result], then: Then) -> None:
        """Write `results` (may be empty), then call `then`; waits for the batch before."""
        self._wait()
        writer = self._writer

        def commit() -> None:
            then(writer.write(results) if results else 0)

        self._in_flight = self._pool.submit(commit)

    def _wait(self) -> None:
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def finish(self) -> None:
        """Wait for the batch in flight; raise its error, if it failed."""
        try:
            self._wait()
        finally:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> Committer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None:
            self.finish()
            return
        with suppress(Exception):  # the error already on its way out says more
            self.finish()
