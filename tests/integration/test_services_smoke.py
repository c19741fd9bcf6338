"""The services the integration tests get are real: Kafka 4.1 and PostgreSQL.

Kafka: a produce/consume round trip through aiokafka, the broker's protocol
answers, and a Faust worker (in its own process) filling a changelog-backed table.
PostgreSQL: a round trip through SQLAlchemy 2 with the psycopg 3 driver.
Restart tests prove a locally started service comes back with its data.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services import KafkaBroker, PostgresServer
from tests.integration.kafka_probe import api_versions, release_floor
from tests.integration.topics import read_topic

REPO = Path(__file__).resolve().parents[2]
# Generous bounds for waiting on real processes on a busy 2-core machine; they only
# decide when to give up, nothing is asserted about how long anything took.
WAIT_S = 120.0


async def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in records:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of the records of `topic` from the beginning."""
    records = await read_topic(bootstrap, topic, count, timeout_s=WAIT_S)
    return [(r.key or b"", r.value or b"") for r in records]


async def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_kafka_round_trip(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}.roundtrip"
    sent = [(f"k{i % 7}".encode(), f"value-{i}".encode()) for i in range(50)]

    asyncio.run(_produce(kafka_bootstrap, topic, sent))
    received = asyncio.run(_consume(kafka_bootstrap, topic, len(sent)))

    assert sorted(received) == sorted(sent)
    # Per key, Kafka keeps the order in which records were produced.
    by_key: dict[bytes, list[bytes]] = collections.defaultdict(list)
    for key, value in received:
        by_key[key].append(value)
    for key, values in by_key.items():
        assert values == [v for k, v in sent if k == key]


def test_broker_speaks_kafka_4_1(kafka_bootstrap: str) -> None:
    host, _, port = kafka_bootstrap.split(",")[0].rpartition(":")
    versions = asyncio.run(api_versions(host, int(port)))
    assert release_floor(versions) >= (4, 1), versions


def test_local_broker_runs_the_pinned_release(kafka_broker: KafkaBroker) -> None:
    log = kafka_broker.log_path.read_text(encoding="utf-8", errors="replace")
    assert kafka_broker.version.startswith("4.1.")
    assert f"Kafka version: {kafka_broker.version}" in log


def test_faust_worker_fills_a_changelog_table(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    app_id = f"{topic_prefix}-app"
    topic = f"{topic_prefix}.words"
    changelog = f"{app_id}-counts-changelog"
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    records = [(words[i % len(words)].encode(), b"") for i in range(3 * len(words) + 2)]
    expected = collections.Counter(key.decode() for key, _ in records)
    asyncio.run(_create_topic(kafka_bootstrap, topic, 4))
    asyncio.run(_produce(kafka_bootstrap, topic, records))

    env = {
        **os.environ,
        "SMOKE_APP_ID": app_id,
        "SMOKE_BROKER": kafka_bootstrap.split(",")[0],
        "SMOKE_TOPIC": topic,
        "SMOKE_DATADIR": str(tmp_path / "faust"),
        "PYTHONPATH": str(REPO),
    }
    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "faust",
                "-A",
                "tests.integration.faust_smoke_app",
                "worker",
                "--loglevel",
                "warn",
                "--without-web",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        latest = _wait_for_counts(kafka_bootstrap, changelog, expected, worker)
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    log_tail = worker_log.read_text(errors="replace")[-3000:]
    assert latest == dict(expected), log_tail
    assert changelog in asyncio.run(_topics(kafka_bootstrap))


def _wait_for_counts(
    bootstrap: str,
    changelog: str,
    expected: collections.Counter[str],
    worker: subprocess.Popen[bytes],
) -> dict[str, int]:
    """Latest value per key in the changelog, once it matches `expected` or time runs out."""

    async def read() -> dict[str, int]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        latest: dict[str, int] = {}
        deadline = time.monotonic() + WAIT_S
        try:
            while changelog not in await consumer.topics():
                if time.monotonic() > deadline or worker.poll() is not None:
                    return latest
                await asyncio.sleep(0.5)
            consumer.subscribe([changelog])
            while latest != dict(expected) and time.monotonic() < deadline:
                if worker.poll() is not None:
                    break
                batches = await consumer.getmany(timeout_ms=1000)
                for messages in batches.values():
                    for m in messages:
                        latest[json.loads(m.key or b"null")] = json.loads(m.value or b"null")
        finally:
            await consumer.stop()
        return latest

    return asyncio.run(read())


def test_postgres_round_trip_through_sqlalchemy(fresh_database: str) -> None:
    url = sa.make_url(fresh_database).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            version = conn.execute(sa.text("SELECT version()")).scalar_one()
            server_version = conn.execute(sa.text("SHOW server_version")).scalar_one()
            conn.execute(sa.text("CREATE TABLE smoke (id int PRIMARY KEY, body jsonb)"))
            conn.execute(
                sa.text("INSERT INTO smoke VALUES (:id, CAST(:body AS jsonb))"),
                [{"id": i, "body": json.dumps({"n": i, "sq": i * i})} for i in range(20)],
            )
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, body->>'sq' FROM smoke WHERE (body->>'n')::int % 2 = 0 ORDER BY id"
                )
            ).all()
            names = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert int(server_version.split(".")[0]) >= 13
    assert [(r[0], int(r[1])) for r in rows] == [(i, i * i) for i in range(0, 20, 2)]
    assert names == url.database


def test_fresh_databases_are_distinct_and_empty(fresh_database: str, postgres_url: str) -> None:
    assert fresh_database != postgres_url
    engine = sa.create_engine(sa.make_url(fresh_database).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0


def test_kafka_restart_keeps_data_and_port(kafka_broker: KafkaBroker, topic_prefix: str) -> None:
    topic = f"{topic_prefix}.durable"
    sent = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(20)]
    bootstrap = kafka_broker.bootstrap
    asyncio.run(_produce(bootstrap, topic, sent))

    kafka_broker.restart()

    assert kafka_broker.bootstrap == bootstrap
    assert sorted(asyncio.run(_consume(bootstrap, topic, len(sent)))) == sorted(sent)


def test_postgres_restart_keeps_data_and_port(
    postgres_server: PostgresServer, fresh_database: str
) -> None:
    url = sa.make_url(fresh_database).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE kept (v text)"))
            conn.execute(sa.text("INSERT INTO kept VALUES ('before restart')"))
        port = postgres_server.port

        postgres_server.restart()

        assert postgres_server.port == port
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT v FROM kept")).scalar_one() == "before restart"
    finally:
        engine.dispose()
