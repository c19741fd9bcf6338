"""Every Kafka compression codec on real Kafka: each batch read, each request judged exactly.

Traffic is published in four parts, each by a producer with its own
``compression.type`` (gzip, snappy, lz4, zstd), to one topic that one worker
reads. The database must then hold exactly what the generator intended for every
request of every part (the ground-truth checks of the fault tests), and nothing
may have been dead-lettered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from streams.exchange import Exchange
from streams.publisher import Compression, Publisher
from streams.synthetic import Fate, generate
from tests.integration.topics import read_topic
from tests.integration.worker_harness import Worker, settle, worker_env

CODECS: tuple[Compression, ...] = ("gzip", "snappy", "lz4", "zstd")
PAIRS = 150  # per codec
GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late


@pytest.fixture
def env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    storage.upgrade(fresh_database)
    return worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def worker(env: dict[str, str], tmp_path: Path) -> Iterator[Worker]:
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()


async def publish(
    bootstrap: str, topic: str, exchanges: list[Exchange], compression: Compression
) -> None:
    async with Publisher(bootstrap, topic=topic, compression=compression) as publisher:
        await publisher.publish_many(exchanges)


def test_batches_of_every_codec_are_judged_exactly(worker: Worker, env: dict[str, str]) -> None:
    bootstrap, topic = env["KAFKA_BOOTSTRAP_SERVERS"], env["EXCHANGES_TOPIC"]
    start = datetime.now(UTC)
    truth: dict[str, Fate] = {}
    records = 0
    for number, compression in enumerate(CODECS):
        traffic = generate(PAIRS, seed=100 + number, start=start + timedelta(minutes=number))
        assert not set(traffic.truth) & set(truth), "each part needs request IDs of its own"
        truth.update(traffic.truth)
        records += len(traffic.exchanges)
        asyncio.run(publish(bootstrap, topic, traffic.exchanges, compression))

    worker.start()
    engine = storage.connect(env["DATABASE_URL"])
    result = settle(engine, worker, truth, records)
    assert result.exact, f"{result.explain()}\n{worker.tail()}"
    assert result.rows == len(truth)
    letters = asyncio.run(read_topic(bootstrap, env["DEADLETTER_TOPIC"], 0))
    assert letters == [], [dict(letter.headers) for letter in letters]
