"""Verdicts on their way to the database, and the Kafka events each one releases.

The worker acknowledges an event only once everything it caused is durable: a
side that waits for its counterpart stays unacknowledged until its request's
verdict is committed to the database. Faust commits the contiguous prefix of
acknowledged offsets, so the committed offset of a partition never passes a side
whose verdict is not stored yet, and a restarted (or rebalanced) worker that
re-reads from there rebuilds exactly the join state it lost. Replayed verdicts
are ignored by the store, which is keyed by (run, request ID).

Writes run in a thread while the agent goes on judging the next batch: at most
one batch is in flight, and a full outbox with one in flight makes the agent
wait (backpressure). An unreachable database is retried with backoff, and past a
bound the process exits without acking, so nothing is lost and whoever takes
over redelivers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

import storage
from comparator import Result

log = logging.getLogger("shadowdiff.worker")

EXIT_STORE_UNAVAILABLE = 75  # EX_TEMPFAIL: a supervisor should restart the worker
EXIT_STORE_FAILED = 70  # EX_SOFTWARE


class StoreObserver(Protocol):
    """Told of every stored batch and every retry (the worker's metrics)."""

    def stored(self, results: Sequence[Result], inserted: object, seconds: float) -> None:
        """`inserted` is what `write` returned; `seconds` ran from the first attempt."""

    def retried(self) -> None: ...


class Outbox:
    """Batches verdicts with the events they release; see the module docstring.

    `write` stores a batch (raising `storage.StoreUnavailable` while the database is
    unreachable); `publish`, when given, sends the stored verdicts on (to the
    comparisons topic); then `release` is given the batch's events (in the worker,
    `AckLedger.release`, which acknowledges them in offset order).
    """

    def __init__(
        self,
        write: Callable[[Sequence[Result]], object],
        release: Callable[[list[Any]], object],
        *,
        batch_size: int,
        max_wait_s: float,
        retry_limit_s: float,
        publish: Callable[[Sequence[Result]], Awaitable[None]] | None = None,
        observer: StoreObserver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._clock = clock
        self._release = release
        self._publish = publish
        self._observer = observer
        self.batch_size = batch_size
        self.max_wait_s = max_wait_s
        self.retry_limit_s = retry_limit_s
        self._results: list[Result] = []
        self._events: list[Any] = []
        self._oldest: float | None = None
        self._lock = asyncio.Lock()
        self._in_flight: asyncio.Future[None] | None = None

    async def add(self, results: Iterable[Result], release: Iterable[Any]) -> None:
        """Queue verdicts and the events to ack once they are stored."""
        self._results.extend(results)
        self._events.extend(release)
        if self._oldest is None and (self._results or self._events):
            self._oldest = self._clock()
        if len(self._results) >= self.batch_size:
            await self.flush()

    async def flush_if_due(self) -> None:
        """Hand over a batch that has waited `max_wait_s` (called by a timer)."""
        if self._oldest is not None and self._clock() - self._oldest >= self.max_wait_s:
            await self.flush()

    async def flush(self) -> None:
        """Hand the current batch to the writer, once the batch in flight is delivered.

        Batches are thus delivered, and their events released, in the order they
        were filled; `settle` waits for the last one.
        """
        async with self._lock:
            await self._land()
            results, events = self._results, self._events
            self._results, self._events, self._oldest = [], [], None
            if results or events:
                self._in_flight = asyncio.ensure_future(self._deliver(results, events))

    async def settle(self) -> None:
        """Wait for the batch in flight, if any, without handing over another."""
        async with self._lock:
            await self._land()

    async def _land(self) -> None:
        if self._in_flight is not None:
            await self._in_flight
            self._in_flight = None

    async def _deliver(self, results: list[Result], events: list[Any]) -> None:
        if results:
            await self._store(results)
            if self._publish is not None:
                await self._publish(results)
        self._release(events)

    async def _store(self, results: list[Result]) -> None:
        delay = 0.2
        # Counted on the clock from the start of the first attempt, so time
        # spent in failing attempts (a connection timing out) counts too.
        began = self._clock()
        while True:
            try:
                inserted = await asyncio.to_thread(self._write, results)
                break
            except storage.StoreUnavailable as error:
                waited = self._clock() - began
                if waited >= self.retry_limit_s:
                    log.critical("database unreachable for %.0fs, exiting: %s", waited, error)
                    logging.shutdown()
                    os._exit(EXIT_STORE_UNAVAILABLE)
                log.warning("database unreachable, retrying in %.1fs: %s", delay, error)
                if self._observer is not None:
                    self._observer.retried()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except Exception:
                # Anything else is a bug or a broken schema: raising would lose the
                # batch's events to Faust's ack-on-error, so stop unacked instead.
                log.critical("storing a batch failed, exiting", exc_info=True)
                logging.shutdown()
                os._exit(EXIT_STORE_FAILED)
        if self._observer is not None:
            self._observer.stored(results, inserted, self._clock() - began)
