"""A batch the worker cannot read stops it with a clear message, and skips nothing.

The worker runs without an lz4 library (its aiokafka sees none, as on an
installation that lacks cramjam) and meets lz4-compressed batches after traffic it
can read. It must exit with the missing-codec status and a message saying what to
install, its committed offsets must not pass the first unreadable record of any
partition, and a worker that has the library must then judge every request exactly.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

import storage
from streams.codec import encode
from streams.exchange import Exchange
from streams.publisher import Publisher
from streams.synthetic import generate
from streams.unreadable import EXIT_MISSING_CODEC
from tests.integration.worker_harness import (
    Worker,
    rows,
    settle,
    wait_for_rows,
    worker_env,
)

GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late
SETTLE_TIMEOUT_S = 180.0
EXIT_TIMEOUT_S = 120.0

# Imported by Python at start-up: aiokafka then finds no codec library, as on an
# installation without cramjam (gzip, from the standard library, still works).
WITHOUT_CODECS = "import aiokafka.codec\naiokafka.codec.cramjam = None\n"


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    storage.upgrade(fresh_database)
    return worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def workers(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    shim = tmp_path / "without-codecs"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(WITHOUT_CODECS)
    crippled = Worker({**env, "PYTHONPATH": str(shim)}, tmp_path / "crippled.log")
    healthy = Worker(env, tmp_path / "healthy.log")
    yield crippled, healthy
    crippled.stop()
    healthy.stop()


async def publish_gzip(bootstrap: str, topic: str, exchanges: list[Exchange]) -> None:
    async with Publisher(bootstrap, topic=topic, compression="gzip") as publisher:
        await publisher.publish_many(exchanges)


async def publish_lz4(bootstrap: str, topic: str, exchanges: list[Exchange]) -> dict[int, int]:
    """Publish with lz4; the first offset each partition got."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, compression_type="lz4", acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, encode(e), key=e.request_id.encode()) for e in exchanges
        ]
        first: dict[int, int] = {}
        for metadata in await asyncio.gather(*futures):
            known = first.get(metadata.partition, metadata.offset)
            first[metadata.partition] = min(known, metadata.offset)
        return first
    finally:
        await producer.stop()


async def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def test_an_unreadable_batch_stops_the_worker_without_skipping_it(
    workers: tuple[Worker, Worker], env: dict[str, str]
) -> None:
    crippled, healthy = workers
    bootstrap, topic, group = (
        env["KAFKA_BOOTSTRAP_SERVERS"],
        env["EXCHANGES_TOPIC"],
        env["WORKER_ID"],
    )
    engine = storage.connect(env["DATABASE_URL"])
    start = datetime.now(UTC)
    readable = generate(100, seed=21, start=start)
    unreadable = generate(100, seed=22, start=start + timedelta(minutes=5))

    asyncio.run(publish_gzip(bootstrap, topic, readable.exchanges))
    crippled.start()
    assert wait_for_rows(engine, len(readable.truth), crippled, SETTLE_TIMEOUT_S) == len(
        readable.truth
    ), crippled.tail()
    first_lz4 = asyncio.run(publish_lz4(bootstrap, topic, unreadable.exchanges))

    assert crippled.process is not None
    try:
        status = crippled.process.wait(EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker kept running on an unreadable batch\n{crippled.tail()}")
    log = crippled.log.read_text(errors="replace")
    assert status == EXIT_MISSING_CODEC, crippled.tail()
    assert "Libraries for lz4 compression codec not found" in log
    assert "Install the codec libraries" in log and "cramjam" in log
    assert "nothing is skipped" in log
    offsets = asyncio.run(committed(bootstrap, group, topic))
    past = {p: (offsets[p], first) for p, first in first_lz4.items() if offsets.get(p, 0) > first}
    assert not past, f"committed past the unreadable batch (committed, first lz4): {past}"
    assert rows(engine) == len(readable.truth)

    healthy.start()
    truth = {**readable.truth, **unreadable.truth}
    result = settle(engine, healthy, truth, len(readable.exchanges) + len(unreadable.exchanges))
    assert result.exact, f"{result.explain()}\n{healthy.tail()}"
