"""`shadowdiff publish` and `Publisher` against a real Kafka broker."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from click.testing import CliRunner

from shadowdiff.cli import main
from streams.capture import write_capture
from streams.codec import decode
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.synthetic import generate
from tests.integration.topics import read_topic

PARTITIONS = 4


async def _create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


def _check(
    records: list[ConsumerRecord[bytes, bytes]], sent: list[Exchange], **decoding: int
) -> None:
    """The topic holds exactly `sent`, keyed by request ID, in order within each partition."""
    assert len(records) == len(sent)
    decoded = [decode(record.value, **decoding) for record in records]  # type: ignore[arg-type]
    assert sorted(decoded, key=repr) == sorted(sent, key=repr)
    partition_of: dict[str, int] = {}
    by_partition: dict[int, list[Exchange]] = {}
    for record, exchange in zip(records, decoded, strict=True):
        assert record.key == exchange.request_id.encode("utf-8")
        # Both sides of a request share a partition: the join depends on it.
        assert partition_of.setdefault(exchange.request_id, record.partition) == record.partition
        by_partition.setdefault(record.partition, []).append(exchange)
    assert len(by_partition) > 1
    for partition, received in by_partition.items():
        keys = {e.request_id for e in received}
        in_capture_order = [e for e in sent if e.request_id in keys]
        assert received == in_capture_order, f"partition {partition} reordered records"


@pytest.mark.parametrize(
    ("options", "decoding"),
    [([], {}), (["--framing", "confluent", "--schema-id", "17"], {"schema_id": 17})],
    ids=["single-object", "confluent"],
)
def test_publish_command_sends_the_capture(
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
    options: list[str],
    decoding: dict[str, int],
) -> None:
    sent = generate(120, seed=21).exchanges[:200]
    assert len(sent) == 200
    capture = tmp_path / "capture.jsonl"
    write_capture(capture, sent)
    topic = f"{topic_prefix}.exchanges"
    asyncio.run(_create_topic(kafka_bootstrap, topic))

    result = CliRunner().invoke(
        main, ["publish", str(capture), "--bootstrap", kafka_bootstrap, "--topic", topic, *options]
    )

    assert result.exit_code == 0, result.output
    assert re.search(rf"published 200 exchanges to {re.escape(topic)} in \d+\.\ds", result.output)
    _check(asyncio.run(read_topic(kafka_bootstrap, topic, len(sent))), sent, **decoding)


def test_publisher_publish_many(kafka_bootstrap: str, topic_prefix: str) -> None:
    sent = generate(60, seed=22).exchanges
    topic = f"{topic_prefix}.exchanges"
    asyncio.run(_create_topic(kafka_bootstrap, topic))

    async def run() -> int:
        async with Publisher(kafka_bootstrap, topic=topic) as publisher:
            count = await publisher.publish_many(sent)
            await publisher.publish(sent[0])  # enqueued, delivered on leaving the block
            return count

    assert asyncio.run(run()) == len(sent)
    _check(asyncio.run(read_topic(kafka_bootstrap, topic, len(sent) + 1)), [*sent, sent[0]])


def test_unreachable_broker_is_named(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    write_capture(capture, generate(2, seed=1).exchanges)
    # Port 1 on the loopback interface: nothing listens there, the refusal is immediate.
    result = CliRunner().invoke(main, ["publish", str(capture), "--bootstrap", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "cannot reach Kafka at 127.0.0.1:1" in result.output
    assert "KAFKA_BOOTSTRAP_SERVERS" in result.output
