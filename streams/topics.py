"""Kafka topic look-ups and creation the worker makes before it starts.

Faust creates only its internal topics (changelogs); a consumer group assigned
before its input topic exists never reads it until the next rebalance, so the
worker makes sure its topics exist first.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

# Three copies where the cluster has three brokers; fewer on a smaller one.
MAX_REPLICATION = 3


class KafkaUnreachable(RuntimeError):
    """No broker answered at the configured addresses."""


async def ensure_topics(
    brokers: list[str], partitions: dict[str, int], timeout_s: float = 15.0
) -> dict[str, int]:
    """Create the missing topics of `partitions` (name → count); return every topic's count.

    An existing topic keeps its own partition count, which is returned instead.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=brokers, request_timeout_ms=int(timeout_s * 1000))
    try:
        await admin.start()
    except KafkaConnectionError as error:
        raise KafkaUnreachable(f"no Kafka broker answered at {','.join(brokers)}") from error
    try:
        existing = {name: len(parts) for name, parts in (await _describe(admin, partitions))}
        brokers_in_cluster = len((await admin.describe_cluster())["brokers"])
        replication = max(1, min(MAX_REPLICATION, brokers_in_cluster))
        missing = [
            NewTopic(name, count, replication)
            for name, count in partitions.items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
                await admin.create_topics(missing)
        return {name: existing.get(name, count) for name, count in partitions.items()}
    finally:
        await admin.close()


async def _describe(
    admin: AIOKafkaAdminClient, topics: dict[str, int]
) -> list[tuple[str, list[object]]]:
    found = []
    for description in await admin.describe_topics(list(topics)):
        if description.get("error_code", 0) == 0:
            found.append((description["topic"], description["partitions"]))
    return found
