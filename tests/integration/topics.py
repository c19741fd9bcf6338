"""Reading a topic back, as the integration tests check what reached Kafka."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord

Record = ConsumerRecord[bytes, bytes]


async def read_topic(
    bootstrap: str, topic: str, expected: int, *, timeout_s: float = 60.0
) -> list[Record]:
    """The records of `topic` from its start.

    Once `expected` have come, whatever else arrives within half a second is
    read too, so a duplicate past `expected` shows; if they never all come,
    what came within `timeout_s`.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[Record] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < expected:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return records
