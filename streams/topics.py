"""Small Kafka metadata look-ups the worker makes before it starts."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError


class KafkaUnreachable(RuntimeError):
    """No broker answered at the configured addresses."""


async def partitions_of(brokers: list[str], topic: str, timeout_s: float = 15.0) -> int | None:
    """How many partitions `topic` has, or None when it does not exist yet."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=brokers, request_timeout_ms=int(timeout_s * 1000),
        metadata_max_age_ms=1000,
    )
    try:
        await consumer.start()
    except KafkaConnectionError as error:
        raise KafkaUnreachable(f"no Kafka broker answered at {','.join(brokers)}") from error
    try:
        found = await consumer.topics()
        if topic not in found:
            return None
        return len(consumer.partitions_for_topic(topic) or ())
    finally:
        await consumer.stop()
