"""Publishing exchanges to Kafka: what a Python gateway (or a capture replay) calls.

    async with Publisher("127.0.0.1:9092") as publisher:
        await publisher.publish(exchange)   # returns once the record is enqueued
        await publisher.flush()             # returns once the broker has everything

Each record is keyed by the request ID (UTF-8), so both sides of one request
reach the same partition and the join needs no repartitioning. Its Kafka
timestamp is left to the producer (publish time): event time travels in the
record itself, and the worker measures how long a partition has been idle by
comparing its tick records with the publish time of its last exchange.
The producer waits for all in-sync replicas (``acks="all"``) and is idempotent,
so its own retries never duplicate a record. Batches are compressed with
`DEFAULT_COMPRESSION` (lz4: cheap to write and read, and JSON bodies shrink
several times) unless told otherwise; the worker reads every Kafka codec.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final, Literal, Self, get_args

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

from streams.codec import Framing, encode
from streams.exchange import Exchange

DEFAULT_TOPIC = "shadowdiff.exchanges"

Compression = Literal["none", "gzip", "snappy", "lz4", "zstd"]
"""Kafka batch compression (the producer's ``compression.type``); ``none`` sends
batches as they are."""

COMPRESSIONS: Final[tuple[Compression, ...]] = get_args(Compression)
DEFAULT_COMPRESSION: Final[Compression] = "lz4"


class PublishError(RuntimeError):
    """Kafka could not be reached, or refused records; the message says which broker."""


class BrokerUnreachable(PublishError):
    """No broker answered at the bootstrap address."""


class Publisher:
    """An Avro producer of `Exchange` records to one topic.

    Batching: records wait up to `linger_ms` to fill batches of up to
    `max_batch_size` bytes per partition; `publish` blocks only when the
    producer's buffer is full (backpressure), never for the broker's answer.
    Delivery failures surface at the next `flush` (or on leaving the context),
    as a `PublishError` counting them, so a caller that flushes never loses a
    record silently.
    """

    def __init__(
        self,
        bootstrap: str | list[str],
        *,
        topic: str = DEFAULT_TOPIC,
        framing: Framing = "single-object",
        schema_id: int | None = None,
        compression: Compression = DEFAULT_COMPRESSION,
        linger_ms: int = 10,
        max_batch_size: int = 256 * 1024,
        max_request_size: int = 1024 * 1024,
        request_timeout_ms: int = 30_000,
    ) -> None:
        if framing == "confluent" and schema_id is None:
            raise ValueError("confluent framing needs the registry's schema_id")
        if compression not in COMPRESSIONS:
            raise ValueError(f"unknown compression {compression!r}: use one of {COMPRESSIONS}")
        self.topic = topic
        self.framing: Framing = framing
        self.schema_id = schema_id
        self.bootstrap = bootstrap if isinstance(bootstrap, str) else ",".join(bootstrap)
        # aiokafka binds a producer to the running event loop, so it is built in `start`.
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": None if compression == "none" else compression,
            "linger_ms": linger_ms,
            "max_batch_size": max_batch_size,
            "max_request_size": max_request_size,
            "request_timeout_ms": request_timeout_ms,
        }
        self._producer: AIOKafkaProducer | None = None
        self._pending: set[asyncio.Future[object]] = set()
        self._failures: list[BaseException] = []
        self.published = 0
        """Records enqueued so far."""

    async def start(self) -> None:
        """Connect to the cluster; `PublishError` names the address when it cannot."""
        producer = AIOKafkaProducer(**self._options)
        try:
            await producer.start()
        except KafkaConnectionError as exc:
            await producer.stop()
            raise BrokerUnreachable(f"cannot reach Kafka at {self.bootstrap}: {exc}") from exc
        self._producer = producer

    @property
    def producer(self) -> AIOKafkaProducer:
        """The started producer; `RuntimeError` before `start`."""
        if self._producer is None:
            raise RuntimeError("Publisher not started: use `async with` or await start()")
        return self._producer

    async def stop(self) -> None:
        """Flush what is pending, then close the connection."""
        if self._producer is None:
            return
        try:
            await self.flush()
        finally:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.stop()
        else:
            # Already failing: close without masking the original error.
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None

    def _done(self, future: asyncio.Future[object]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            self._failures.append(future.exception())  # type: ignore[arg-type]

    async def publish(self, exchange: Exchange) -> None:
        """Enqueue one exchange; returns before the broker acknowledges it."""
        value = encode(exchange, framing=self.framing, schema_id=self.schema_id)
        try:
            future = await self.producer.send(
                self.topic,
                value=value,
                key=exchange.request_id.encode("utf-8"),
            )
        except KafkaError as exc:
            raise PublishError(
                f"cannot publish to {self.topic} at {self.bootstrap}: {exc}"
            ) from exc
        self._pending.add(future)
        future.add_done_callback(self._done)
        self.published += 1

    async def publish_many(self, exchanges: Iterable[Exchange]) -> int:
        """Enqueue every exchange in order, then `flush`; returns how many were sent."""
        count = 0
        for exchange in exchanges:
            await self.publish(exchange)
            count += 1
        await self.flush()
        return count

    async def flush(self) -> None:
        """Wait until every enqueued record is acknowledged; raise if any failed."""
        await self.producer.flush()
        if self._pending:
            await asyncio.wait(list(self._pending))
        if self._failures:
            failures, self._failures = self._failures, []
            raise PublishError(
                f"{len(failures)} records were not delivered to {self.topic} "
                f"at {self.bootstrap}; first error: {failures[0]!r}"
            )
