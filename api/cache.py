"""Answers kept for a few seconds: the freshness the API promises, traded for speed.

A dashboard on a shared screen asks the same few questions again and again
(the endpoints table, one endpoint's week), and each costs tens of
milliseconds of queries and Python. `AnswerCache` keeps each rendered body
for `ttl_s` seconds, keyed by the route's path and its query parameters in
sorted order, so an answer is at most `ttl_s` seconds older than the store
(a relative `since=24h` slides by at most as much). The store changes only
through the workers, never through the API, so a time bound is the whole
rule: no invalidation is needed for correctness, only for freshness.

Concurrent requests for the same missing key wait for one computation
instead of running the query each (a single flight), so fifty clients
opening the same page cost one query. Only successful answers are kept; an
error is computed again on the next request. The cache holds at most
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
    expires: float


class AnswerCache:
    """Rendered bodies by key for `ttl_s` seconds; `ttl_s` 0 keeps nothing.

    Contract: `answer` returns a body computed no more than `ttl_s` seconds
    before (by `clock`), or computes it; an exception from `compute` reaches
    the caller and is not kept. Not thread-safe: call it from the event loop.
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
        """The body kept for `key` if still fresh, else None (and nothing computed)."""
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self.clock():
            return None
        self._entries.move_to_end(key)
        return entry.body

    async def answer(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> Answer:
        """The body for `key`, from the cache while fresh, else from `compute()`."""
        if self.ttl_s == 0:
            return Answer(await compute(), "miss")
        body = self.fresh(key)
        if body is not None:
            return Answer(body, "hit")
        if key in self._entries:
            self._drop(key)
        pending = self._pending.get(key)
        if pending is not None:
            # Another request is computing this answer: share its result (or error).
            return Answer(await asyncio.shield(pending), "shared")
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            body = await compute()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unshared failure is not reported
            raise
        finally:
            del self._pending[key]
        future.set_result(body)
        self._keep(key, body)
        return Answer(body, "miss")

    def _keep(self, key: str, body: bytes) -> None:
        if key in self._entries:
            self._drop(key)
        if len(body) > self.max_bytes:
            return
        self._entries[key] = _Entry(body, self.clock() + self.ttl_s)
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
