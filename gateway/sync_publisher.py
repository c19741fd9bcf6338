"""A blocking-world publisher for WSGI gateways (and any code without an event loop).

    publisher = SyncPublisher("127.0.0.1:9092")      # starts its own thread
    publisher.publish(exchange)                       # returns at once; raises only once closed
    publisher.flush(timeout_s=10)                     # True once all were acknowledged
    publisher.close()

It runs the proxy's `ObservationSink` on an asyncio loop in a daemon thread:
`publish` hands the exchange over with `call_soon_threadsafe` and returns, so
a request thread never waits for Kafka, and the same rules hold as in the
proxy: a bounded queue, drops counted when Kafka is slow or down, publishing
resumed by itself when it is back. `metrics` holds the counts (and renders
Prometheus text for an application's own /metrics).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from gateway.metrics import ProxyMetrics
from gateway.sink import ObservationSink, SinkConfig
from streams.exchange import Exchange
from streams.publisher import DEFAULT_TOPIC

T = TypeVar("T")


class SyncPublisher:
    """Publishes `Exchange` records from any thread without blocking it."""

    def __init__(
        self, bootstrap: str, *, topic: str = DEFAULT_TOPIC, queue_size: int = 10_000
    ) -> None:
        self.metrics = ProxyMetrics()
        self._loop = asyncio.new_event_loop()
        self._sink = ObservationSink(
            SinkConfig(bootstrap=bootstrap, topic=topic, queue_size=queue_size), self.metrics
        )
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="shadowdiff-publisher", daemon=True
        )
        self._thread.start()
        self._call(self._start())
        self._closed = False

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    async def _start(self) -> None:
        self._sink.start()

    def publish(self, exchange: Exchange) -> None:
        """Queue `exchange` for Kafka; past the queue's bound it is dropped and counted."""
        if self._closed:
            raise RuntimeError("SyncPublisher is closed")
        self._loop.call_soon_threadsafe(self._sink.offer, exchange)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Block until every exchange published so far is acknowledged or dropped.

        False when `timeout_s` passed first (Kafka down, say); nothing is lost by
        that: the exchanges stay queued.
        """
        return self._call(self._sink.flush(timeout_s))

    @property
    def published(self) -> int:
        """Exchanges Kafka has acknowledged."""
        return int(self.metrics.total("shadowdiff_proxy_observations_published_total"))

    @property
    def dropped(self) -> int:
        """Exchanges given up on (queue full, Kafka errors, closed with them queued)."""
        return int(self.metrics.total("shadowdiff_proxy_observations_dropped_total"))

    def close(self, timeout_s: float = 10.0) -> None:
        """Publish what is queued within `timeout_s`, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._call(self._sink.close(timeout_s))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
