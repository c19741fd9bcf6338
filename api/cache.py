"""Answers kept for a few seconds: the freshness the API promises, traded for speed.

A dashboard on a shared screen asks the same few questions again and again
(the endpoints table, one endpoint's week), and each costs tens of
milliseconds of queries and Python. `AnswerCache` keeps each rendered body
for `ttl_s` seconds from the start of its computation, keyed by the route's
path and its query parameters in sorted order, so an answer is at most
`ttl_s` seconds older than the store (a relative `since=24h` slides by at
most as much). The store changes only
through the workers, never through the API, so a time bound is the whole
rule: no invalidation is needed for correctness, only for freshness.

Concurrent requests for the same missing key wait for one computation
instead of running the query each (a single flight), so fifty clients
opening the same page cost one query. Past half its life, the next request
for an answer starts its recomputation in the background and still gets
the kept one (`REFRESH_AFTER`), so a question asked often never makes a
request wait after the first. Only successful answers are kept; an error is
computed again on the next request. The cache holds at most
`max_bytes` of bodies, dropping the least recently used first.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlencode

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Bodies kept at most: a week of 5-minute buckets for every endpoint is a few MB."""


def cache_key(path: str, query: str) -> str:
    """The path and the query parameters in sorted order: one key per question."""
    return path + "?" + urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


Source = Literal["hit", "miss", "shared"]
"""Where an answer came from: the cache; this request's own computation; or another
request's computation that this one waited for (a miss for latency, not for load)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A rendered body and where it came from (sent as the `X-Cache` header)."""

    body: bytes
    source: Source


@dataclass(slots=True)
class _Entry:
    body: bytes
    refresh_at: float
    expires: float


REFRESH_AFTER = 0.5
"""Past this share of its time to live, a request for an answer starts its recomputation
in the background and is answered with the kept body, still fresh: while a question is
asked often, nobody waits for its query after the first time."""


class AnswerCache:
    """Rendered bodies by key for `ttl_s` seconds; `ttl_s` 0 keeps nothing.

    Contract: `answer` returns a body whose computation started no more than
    `ttl_s` seconds before (by `clock`), or computes it; an exception from
    `compute` reaches the callers waiting for it and is not kept. Not
    thread-safe: call it from the event loop.
    """

    def __init__(
        self,
        ttl_s: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s < 0:
            raise ValueError("the cache's time to live cannot be negative")
        self.ttl_s, self.max_bytes, self.clock = ttl_s, max_bytes, clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, asyncio.Future[bytes]] = {}

    def fresh(self, key: str) -> bytes | None:
        """The body kept for `key` if fresh and not yet due for recomputation, else None.

        None also for an answer due for recomputation that nobody has started:
        the request then goes on to the route, whose `answer` starts it.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if entry.expires <= now or (entry.refresh_at <= now and key not in self._pending):
            return None
        self._entries.move_to_end(key)
        return entry.body

    async def answer(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> Answer:
        """The body for `key`: kept while fresh (recomputed in the background once
        due), else computed now, by this request or by one it waits for."""
        if self.ttl_s == 0:
            return Answer(await compute(), "miss")
        entry = self._entries.get(key)
        now = self.clock()
        if entry is not None and entry.expires > now:
            if entry.refresh_at <= now and key not in self._pending:
                self._start(key, compute)
            self._entries.move_to_end(key)
            return Answer(entry.body, "hit")
        pending = self._pending.get(key)
        if pending is not None:
            return Answer(await asyncio.shield(pending), "shared")
        return Answer(await asyncio.shield(self._start(key, compute)), "miss")

    def _start(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> asyncio.Future[bytes]:
        """Compute `key`'s body in a task of its own, kept when done; its future."""
        started = self.clock()

        async def run() -> bytes:
            try:
                body = await compute()
            finally:
                del self._pending[key]
            self._keep(key, body, started)
            return body

        task = asyncio.get_running_loop().create_task(run())
        # A background recomputation's failure has nobody waiting: mark it seen.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._pending[key] = task
        return task

    def _keep(self, key: str, body: bytes, started: float) -> None:
        if key in self._entries:
            self._drop(key)
        if len(body) > self.max_bytes:
            return
        self._entries[key] = _Entry(
            body, started + REFRESH_AFTER * self.ttl_s, started + self.ttl_s
        )
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._bytes -= len(entry.body)

    @property
    def size_bytes(self) -> int:
        """Bytes of bodies held now."""
        return self._bytes
