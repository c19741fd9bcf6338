"""Faults survived on real Kafka and PostgreSQL: nothing lost, nothing counted twice.

Each test publishes generated traffic with a fixed seed while a fault happens,
waits until the database holds one row per request, and then checks the result
exactly against the generator's ground truth: as many rows as requests, every
verdict the one intended, no request missing or extra, and every signature's
count equal to the rows behind it.

The faults:

- the worker SIGKILLed three times mid-stream, restarted after each kill;
- PostgreSQL stopped mid-stream for a few seconds: the worker stays up, retries
  with backoff, stops committing offsets (backpressure), and loses nothing;
- the Kafka broker stopped and started again (same port, same data);
- two workers in one consumer group, one SIGKILLed: the survivor takes over its
  partitions.

The workers run with a short consumer-group session timeout (Faust reads
`BROKER_SESSION_TIMEOUT` from the environment): a SIGKILLed member leaves the
group only when its session expires, and Faust's default of 60 s would make the
tests wait a minute per kill without testing anything more.

These tests stop and start the session's shared services; each one starts them
again before it ends, whatever happened, so later tests find them running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from sqlalchemy import Engine

import storage
from services import KafkaBroker, PostgresServer
from streams.exchange import Exchange
from streams.synthetic import Fate, Traffic, generate
from tests.integration.worker_harness import (
    ChunkedPublisher,
    Tally,
    Worker,
    publish,
    rows,
    tally,
    wait_for_rows,
    worker_env,
)

GRACE_S = 10.0  # past the generator's 3 s timeouts: an errored side arrives that late
SETTLE_TIMEOUT_S = 240.0
QUIET_S = 5.0  # after the last expected row: long enough for a duplicate to show up

KILL_PAIRS = 20_000
POSTGRES_PAIRS = 6_000
KAFKA_PAIRS = 3_000  # per burst, two bursts
GROUP_PAIRS = 8_000


class MakeWorker(Protocol):
    def __call__(self, name: str, **env: str) -> Worker: ...


@pytest.fixture
def fault_env(kafka_bootstrap: str, fresh_database: str, topic_prefix: str) -> dict[str, str]:
    storage.upgrade(fresh_database)
    return worker_env(kafka_bootstrap, fresh_database, topic_prefix, GRACE_S)


@pytest.fixture
def make_worker(fault_env: dict[str, str], tmp_path: Path) -> Iterator[MakeWorker]:
    """Workers of one consumer group, each with a data directory of its own."""
    made: list[Worker] = []

    def make(name: str, **env: str) -> Worker:
        home = tmp_path / name
        home.mkdir()
        worker = Worker({**fault_env, **env, "TMPDIR": str(home)}, tmp_path / f"{name}.log")
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()


@pytest.fixture
def engine(fault_env: dict[str, str]) -> Iterator[Engine]:
    engine = storage.connect(fault_env["DATABASE_URL"])
    yield engine
    engine.dispose()


def logs(workers: Sequence[Worker]) -> str:
    return "\n".join(w.tail() for w in workers)


def settle(
    engine: Engine, expected: int, workers: Sequence[Worker], *, supervise: bool = False
) -> int:
    """Wait until `expected` rows are stored, then `QUIET_S` more; return the restarts.

    With `supervise`, a worker that exits is started again, as a supervisor would;
    without, a worker that exits fails the test.
    """
    restarts = 0
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while rows(engine) < expected and time.monotonic() < deadline:
        for worker in workers:
            if not worker.alive:
                assert supervise, f"a worker exited\n{logs(workers)}"
                worker.start()
                restarts += 1
        time.sleep(0.5)
    count = rows(engine)
    assert count >= expected, f"{count} of {expected} rows after {SETTLE_TIMEOUT_S:.0f}s\n" + logs(
        workers
    )
    time.sleep(QUIET_S)
    return restarts


def assert_exact(engine: Engine, truth: dict[str, Fate], records: int, what: str) -> Tally:
    result = tally(engine, truth, records)
    print(f"\n[{what}] {result.summary()}")
    assert result.rows == len(truth), result.explain()
    assert result.exact, result.explain()
    assert result.duplicated == 0
    return result


def two_bursts(pairs: int, seed: int) -> tuple[Traffic, Traffic]:
    """Two bursts of traffic, the second starting well after the first in event time.

    Between the bursts the gateway publishes nothing (the broker is down): the
    workers' clocks move on meanwhile, so traffic that resumes where it stopped would
    be judged late. A gap in event time is what such an outage looks like.
    """
    first = generate(pairs, seed=seed, start=datetime.now(UTC))
    last = max(e.started_at for e in first.exchanges)
    second = generate(pairs, seed=seed + 1, start=last + timedelta(minutes=5))
    assert not set(first.truth) & set(second.truth)
    return first, second


async def _group(bootstrap: str, group: str) -> dict[str, set[TopicPartition]]:
    """Members of consumer group `group` and the partitions assigned to each."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    members: dict[str, set[TopicPartition]] = {}
    for response in described:
        for entry in response.groups:
            for member in entry[5]:
                member_id, assignment = member[0], member[-1]
                decoded = (
                    ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
                )
                members[member_id] = set(decoded.partitions()) if decoded else set()
    return members


async def _committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def group_members(env: dict[str, str]) -> dict[str, set[TopicPartition]]:
    return asyncio.run(_group(env["KAFKA_BOOTSTRAP_SERVERS"], env["WORKER_ID"]))


def committed(env: dict[str, str]) -> dict[int, int]:
    return asyncio.run(
        _committed(env["KAFKA_BOOTSTRAP_SERVERS"], env["WORKER_ID"], env["EXCHANGES_TOPIC"])
    )


def chunked(
    env: dict[str, str], exchanges: list[Exchange], chunks: int, pause_s: float
) -> ChunkedPublisher:
    size = -(-len(exchanges) // chunks)
    return ChunkedPublisher(
        env["KAFKA_BOOTSTRAP_SERVERS"],
        env["EXCHANGES_TOPIC"],
        exchanges,
        chunk=size,
        pause_s=pause_s,
    )


def test_sigkilled_worker_three_times_loses_and_repeats_nothing(
    make_worker: MakeWorker, fault_env: dict[str, str], engine: Engine
) -> None:
    traffic = generate(KILL_PAIRS, seed=101, start=datetime.now(UTC))
    expected = len(traffic.truth)
    worker = make_worker("worker")
    worker.start()
    publisher = chunked(fault_env, traffic.exchanges, chunks=40, pause_s=0.5).start()
    kills: list[tuple[int, int]] = []
    for share in (0.20, 0.45, 0.70):
        landed = wait_for_rows(engine, int(share * expected), worker, SETTLE_TIMEOUT_S)
        assert landed >= share * expected, f"{landed} rows before kill {len(kills) + 1}\n" + (
            worker.tail()
        )
        worker.kill()
        kills.append((landed, publisher.published))
        worker.start()
    publisher.join()
    restarts = settle(engine, expected, [worker])

    print(f"\n[kill] kills at (rows, records published): {kills}; starts {worker.starts}")
    assert restarts == 0
    assert_exact(engine, traffic.truth, len(traffic.exchanges), "kill")


def test_postgres_restart_pauses_consumption_and_loses_nothing(
    make_worker: MakeWorker,
    fault_env: dict[str, str],
    engine: Engine,
    postgres_server: PostgresServer,
) -> None:
    traffic = generate(POSTGRES_PAIRS, seed=202, start=datetime.now(UTC))
    expected = len(traffic.truth)
    worker = make_worker("worker")
    worker.start()
    publisher = chunked(fault_env, traffic.exchanges, chunks=30, pause_s=0.5).start()
    landed = wait_for_rows(engine, expected // 4, worker, SETTLE_TIMEOUT_S)
    assert landed >= expected // 4, worker.tail()
    engine.dispose()  # the test's own pooled connections die with the server
    try:
        postgres_server.stop()
        stopped = time.monotonic()
        time.sleep(2.0)
        held = committed(fault_env)
        while time.monotonic() - stopped < 5.0:
            assert worker.alive, f"the worker exited while the database was down\n{worker.tail()}"
            time.sleep(0.5)
        moved = sum(committed(fault_env).values()) - sum(held.values())
        published_while_down = publisher.published
    finally:
        postgres_server.start()
    assert worker.alive, worker.tail()
    publisher.join()
    restarts = settle(engine, expected, [worker])

    log = worker.log.read_text(errors="replace")
    retries = log.count("database unreachable")
    print(
        f"\n[postgres] down ~5s after {landed} rows; {published_while_down} records published "
        f"by then; retry warnings {retries}; worker starts {worker.starts}; committed offsets "
        f"moved by {moved} between 2 s and 5 s of the outage"
    )
    assert retries > 0, worker.tail()
    assert moved == 0, "offsets were committed while no verdict could be stored"
    assert worker.starts == 1 and restarts == 0
    assert_exact(engine, traffic.truth, len(traffic.exchanges), "postgres")


def test_kafka_broker_restart_loses_and_repeats_nothing(
    make_worker: MakeWorker,
    fault_env: dict[str, str],
    engine: Engine,
    kafka_broker: KafkaBroker,
) -> None:
    first, second = two_bursts(KAFKA_PAIRS, seed=303)
    truth = {**first.truth, **second.truth}
    bootstrap, topic = fault_env["KAFKA_BOOTSTRAP_SERVERS"], fault_env["EXCHANGES_TOPIC"]
    worker = make_worker("worker")
    worker.start()
    asyncio.run(publish(bootstrap, topic, first.exchanges))
    landed = wait_for_rows(engine, len(first.truth) // 3, worker, SETTLE_TIMEOUT_S)
    assert landed >= len(first.truth) // 3, worker.tail()
    try:
        kafka_broker.stop()
        time.sleep(4.0)
        alive_while_down = worker.alive
    finally:
        kafka_broker.start()
    exited = not worker.alive
    if exited:
        worker.start()  # what a supervisor does with a worker that gave up
    asyncio.run(publish(bootstrap, topic, second.exchanges))
    restarts = settle(engine, len(truth), [worker], supervise=True)

    print(
        f"\n[kafka] broker down after {landed} rows; worker alive while down: "
        f"{alive_while_down}; exited by restart: {exited}; later supervisor restarts: "
        f"{restarts}; worker starts {worker.starts}"
    )
    assert_exact(engine, truth, len(first.exchanges) + len(second.exchanges), "kafka")


def test_two_workers_one_killed_survivor_takes_its_partitions(
    make_worker: MakeWorker, fault_env: dict[str, str], engine: Engine
) -> None:
    traffic = generate(GROUP_PAIRS, seed=404, start=datetime.now(UTC))
    expected = len(traffic.truth)
    survivor, victim = make_worker("survivor"), make_worker("victim")
    survivor.start()
    victim.start()
    publisher = chunked(fault_env, traffic.exchanges, chunks=30, pause_s=0.5).start()
    landed = wait_for_rows(engine, expected // 3, survivor, SETTLE_TIMEOUT_S)
    assert landed >= expected // 3, logs([survivor, victim])
    topic = fault_env["EXCHANGES_TOPIC"]

    def spread(members: dict[str, set[TopicPartition]]) -> list[list[int]]:
        """Each member's partitions of the exchanges topic, sorted."""
        return sorted(
            sorted(tp.partition for tp in p if tp.topic == topic) for p in members.values()
        )

    # Both members own partitions before the kill (a rebalance may still be running).
    deadline = time.monotonic() + 60
    before = group_members(fault_env)
    while time.monotonic() < deadline and [len(p) for p in spread(before)] != [2, 2]:
        time.sleep(0.5)
        before = group_members(fault_env)
    assert [len(p) for p in spread(before)] == [2, 2], f"before the kill: {spread(before)}\n" + (
        logs([survivor, victim])
    )
    assert victim.alive, victim.tail()
    landed = rows(engine)
    victim.kill()
    settle(engine, expected, [survivor])
    publisher.join()
    after = group_members(fault_env)

    print(
        f"\n[group] partitions before the kill {spread(before)}, after {spread(after)}; "
        f"killed at {landed} rows"
    )
    assert len(after) == 1, after
    (remaining,) = after.values()
    assert {tp.partition for tp in remaining if tp.topic == topic} == {0, 1, 2, 3}
    assert_exact(engine, traffic.truth, len(traffic.exchanges), "group")


def test_a_waiting_side_is_never_committed_past(
    make_worker: MakeWorker, fault_env: dict[str, str], engine: Engine
) -> None:
    """Orphan sides wait (unacked) for the grace period; a kill meanwhile must not lose them."""
    traffic = generate(400, seed=505, start=datetime.now(UTC))
    orphans = [r for r, f in traffic.truth.items() if f.expected.startswith("missing")]
    assert orphans, "the traffic must leave sides waiting at the kill"
    expected = len(traffic.truth)
    # A long grace keeps the orphans waiting well past the moment of the kill.
    worker = make_worker("worker", GRACE_PERIOD_S="30")
    worker.start()
    bootstrap, topic = fault_env["KAFKA_BOOTSTRAP_SERVERS"], fault_env["EXCHANGES_TOPIC"]
    asyncio.run(publish(bootstrap, topic, traffic.exchanges))
    landed = wait_for_rows(engine, expected - len(orphans), worker, 60)
    assert landed >= expected - len(orphans), worker.tail()
    time.sleep(3.0)  # a few commit intervals
    held = committed(fault_env)
    waiting = expected - rows(engine)
    assert waiting == len(orphans), f"{waiting} sides waiting at the kill, not {len(orphans)}"
    worker.kill()
    worker.start()
    wait_for_rows(engine, expected, worker, 60)
    result = tally(engine, traffic.truth, len(traffic.exchanges))
    where = asyncio.run(_positions(bootstrap, topic))
    print(
        f"\n[committed-past] committed at the kill {held}; {len(orphans)} orphans waiting; "
        f"lost at (partition, offset): {sorted(where[r] for r in result.missing)}"
    )
    assert result.exact, result.explain()


async def _positions(bootstrap: str, topic: str) -> dict[str, tuple[int, int]]:
    """(partition, offset) of the first record of each request in `topic`."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, tuple[int, int]] = {}
    try:
        for _ in range(10):
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key:
                        found.setdefault(record.key.decode(), (record.partition, record.offset))
    finally:
        await consumer.stop()
    return found
