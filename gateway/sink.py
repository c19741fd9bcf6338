"""From observations to Kafka without ever holding up traffic.

`ObservationSink.offer` never blocks and never raises: an exchange goes into a
bounded queue, or, when the queue is full, is dropped and counted. One
background task moves the queue into an aiokafka producer. When Kafka is slow
the queue fills and new observations are dropped; when it is down the producer
is (re)started with backoff while the queue holds what fits. Once Kafka answers
again, the backlog is sent and publishing goes on: nothing needs restarting.

Delivery is at most once: a record the producer gives up on (after
`request_timeout_ms`) is counted as dropped, never retried from here. The join
treats a lost side as an orphan (`missing_candidate`, `missing_primary`).
The producer is not idempotent: after a broker outage aiokafka's idempotent
sequence numbers can wedge a partition, and the join already absorbs a
duplicate side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from gateway.metrics import ProxyMetrics
from streams.codec import encode
from streams.exchange import Exchange

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SinkConfig:
    """Where observations go and how much of them may wait.

    `queue_size` bounds memory while Kafka is slow or down; `send_timeout_s`
    bounds how long the background task waits for the producer to take one
    batch (metadata or buffer space), after which its records are dropped.
    Up to `batch_records` waiting observations are taken at once and appended
    to one batch per partition.
    """

    bootstrap: str
    topic: str = "shadowdiff.exchanges"
    queue_size: int = 10_000
    linger_ms: int = 5
    max_request_size: int = 1024 * 1024
    request_timeout_ms: int = 5_000
    send_timeout_s: float = 5.0
    batch_records: int = 64
    retry_backoff_s: float = 1.0


class ObservationSink:
    """A bounded queue of exchanges and the task that publishes them."""

    def __init__(self, config: SinkConfig, metrics: ProxyMetrics) -> None:
        self.config = config
        self.metrics = metrics
        self._queue: asyncio.Queue[tuple[Exchange, float]] = asyncio.Queue(config.queue_size)
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Future[object]] = set()
        self._sending = False
        self._partitioner = DefaultPartitioner()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def start(self) -> None:
        """Start the background task; Kafka need not be reachable yet."""
        self._task = asyncio.create_task(self._run(), name="observation-sink")

    def offer(self, exchange: Exchange) -> bool:
        """Queue `exchange` for publishing; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait((exchange, time.perf_counter()))
        except asyncio.QueueFull:
            self.metrics.drop("queue_full")
            return False
        self.metrics.queued.set(self._queue.qsize())
        return True

    async def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued is acknowledged or dropped; False on timeout."""
        try:
            async with asyncio.timeout(timeout_s):
                while self._queue.qsize() or self._in_flight or self._sending:
                    await asyncio.sleep(0.01)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout_s: float = 10.0) -> None:
        """Publish what is queued, within `timeout_s`; count the rest as dropped."""
        if self._producer is not None:
            await self.flush(timeout_s)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        left = self._queue.qsize() + len(self._in_flight)
        if left:
            self.metrics.drop("shutdown", left)
        if self._producer is not None:
            with contextlib.suppress(KafkaError, OSError):
                await self._producer.stop()
            self._producer = None

    async def _connect(self) -> AIOKafkaProducer:
        failures = 0
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.config.bootstrap,
                acks="all",
                linger_ms=self.config.linger_ms,
                max_batch_size=256 * 1024,
                max_request_size=self.config.max_request_size,
                request_timeout_ms=self.config.request_timeout_ms,
            )
            try:
                await producer.start()
            except (KafkaError, OSError) as error:
                with contextlib.suppress(KafkaError, OSError):
                    await producer.stop()
                if not failures:
                    log.warning(
                        "Kafka at %s unreachable (%s); observations are dropped past %d queued "
                        "until it answers",
                        self.config.bootstrap,
                        error,
                        self.config.queue_size,
                    )
                failures += 1
                await asyncio.sleep(self.config.retry_backoff_s)
                continue
            if failures:
                log.warning("Kafka at %s answers again; publishing", self.config.bootstrap)
            return producer

    async def _run(self) -> None:
        producer = self._producer = await self._connect()
        while True:
            taken = [await self._queue.get()]
            # Whatever else is waiting goes in the same batches: one append per
            # record instead of one `send` (future, partitioner, wake-up) each.
            while len(taken) < self.config.batch_records and not self._queue.empty():
                taken.append(self._queue.get_nowait())
            self.metrics.queued.set(self._queue.qsize())
            self._sending = True
            try:
                delivered = await self._send(producer, taken)
            finally:
                self._sending = False
            if not delivered:
                # Kafka is away: asking again at once only spins the producer's
                # reconnection; meanwhile the queue fills and offers drop cheaply.
                await asyncio.sleep(self.config.retry_backoff_s)

    async def _send(self, producer: AIOKafkaProducer, taken: list[tuple[Exchange, float]]) -> bool:
        """Hand `taken` to the producer; False when Kafka would not take them (dropped)."""
        topic = self.config.topic
        try:
            async with asyncio.timeout(self.config.send_timeout_s):
                partitions = sorted(await producer.partitions_for(topic))
        except (KafkaError, TimeoutError) as error:
            log.debug("%d observations dropped: no metadata for %s: %r", len(taken), topic, error)
            self.metrics.drop("kafka_error", len(taken))
            return False
        # The producer's own key partitioner (murmur2, as Kafka's Java client and
        # franz-go), so both sides of a request share a partition whoever sent them.
        by_partition: dict[int, list[tuple[bytes, bytes, float]]] = {}
        for exchange, queued_at in taken:
            value = encode(exchange)
            if len(value) > self.config.max_request_size:
                self.metrics.drop("too_large")
                continue
            key = exchange.request_id.encode()
            partition = self._partitioner(key, partitions, partitions)
            by_partition.setdefault(partition, []).append((key, value, queued_at))
        delivered = True
        for partition, records in by_partition.items():
            batch = producer.create_batch()
            queued: list[float] = []
            for key, value, queued_at in records:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    delivered &= await self._submit(producer, batch, partition, queued)
                    # A fresh batch takes its first record whatever its size.
                    batch, queued = producer.create_batch(), []
                    batch.append(key=key, value=value, timestamp=None)
                queued.append(queued_at)
            delivered &= await self._submit(producer, batch, partition, queued)
        return delivered

    async def _submit(
        self, producer: AIOKafkaProducer, batch: Any, partition: int, queued: list[float]
    ) -> bool:
        if not queued:
            return True
        try:
            async with asyncio.timeout(self.config.send_timeout_s):
                future = await producer.send_batch(batch, self.config.topic, partition=partition)
        except (KafkaError, TimeoutError) as error:
            log.debug("%d observations dropped: %r", len(queued), error)
            self.metrics.drop("kafka_error", len(queued))
            return False
        self._in_flight.add(future)
        future.add_done_callback(lambda f: self._delivered(f, queued))
        return True

    def _delivered(self, future: asyncio.Future[object], queued: list[float]) -> None:
        self._in_flight.discard(future)
        if future.cancelled() or future.exception() is not None:
            self.metrics.drop("kafka_error", len(queued))
            return
        self.metrics.published.inc(len(queued))
        now = time.perf_counter()
        for queued_at in queued:
            self.metrics.publish_latency.observe(now - queued_at)
