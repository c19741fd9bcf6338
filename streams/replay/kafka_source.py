"""Reprocessing straight from Kafka: each partition over a bounded offset range.

The range of a partition runs from the offset of the first record whose Kafka
timestamp is at or after T1 minus the grace period to the first at or after T2
plus the grace period (the end of the partition when none is). Kafka
timestamps are publish times, a little after the event times (`started_at`)
the run judges by; the window then keeps exactly the requests observed in
[T1, T2), whatever the offsets let through.

Processes share the partitions through a consumer group named after the run,
so the same command started on several machines (or `--workers N` on one)
splits the work. A process takes its partitions one at a time through the
worker's join, judge and writer (`streams.replay.runner`); progress is kept in
the run's checkpoints (offset and watermark per partition), not in the group's
offsets, so a partition that moves to another process, or a killed run started
again, resumes from the last stored batch. Deleting the run deletes them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import Engine

import storage
from storage.checkpoints import Checkpoint, load_checkpoints, save_checkpoint
from streams import codec
from streams.exchange import Exchange
from streams.replay.reprocess import Outcome, Plan, run_job, writer_for
from streams.replay.runner import Reporter, UnitStats, replay
from streams.replay.sources import Window
from streams.replay.workers import run_processes
from streams.ticks import TICK_HEADER

ASSIGNMENT_TIMEOUT_S = 60.0
IDLE_RECHECK_S = 1.0
FETCH_BYTES = 16 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KafkaSource:
    """The topic to read, and how its records are framed."""

    brokers: list[str]
    topic: str
    schema_id: int | None = None
    max_record_bytes: int = codec.DEFAULT_MAX_RECORD_BYTES


class Revoked(Exception):
    """The partition being read moved to another process of the group."""


def group_name(run_id: str) -> str:
    return f"shadowdiff-reprocess.{run_id}"


def unit_name(partition: int) -> str:
    return f"kafka:partition={partition}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _bounds(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], window: Window
) -> dict[TopicPartition, tuple[int, int]]:
    """Each partition's [first, end) offsets for `window` (see the module docstring)."""
    begin = await consumer.beginning_offsets(tps)
    end = await consumer.end_offsets(tps)
    first, stop = dict(begin), dict(end)
    edges = (
        (None if window.start is None else window.start - window.grace, first),
        (None if window.end is None else window.end + window.grace, stop),
    )
    for moment, target in edges:
        if moment is None:
            continue
        found = await consumer.offsets_for_times({tp: _ms(moment) for tp in tps})
        for tp in tps:
            hit = found.get(tp)
            target[tp] = hit.offset if hit is not None else end[tp]
    return {tp: (first[tp], max(stop[tp], first[tp])) for tp in tps}


async def _partitions(brokers: list[str], topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=brokers)
    await admin.start()
    try:
        [description] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if description.get("error_code", 0) != 0 or not description.get("partitions"):
        raise ValueError(f"no topic {topic!r} on the Kafka cluster: check --topic or the brokers")
    return sorted(TopicPartition(topic, p["partition"]) for p in description["partitions"])


def kafka_plan(source: KafkaSource, window: Window) -> dict[int, tuple[int, int]]:
    """Partition → [first, end) offsets of the run's range, asked of the cluster now."""

    async def ask() -> dict[int, tuple[int, int]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=source.brokers, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = await _partitions(source.brokers, source.topic)
            return {tp.partition: r for tp, r in (await _bounds(consumer, tps, window)).items()}
        finally:
            await consumer.stop()

    return asyncio.run(ask())


def remaining(engine: Engine, run_id: str, ranges: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(partitions not done, records left to read in them) by the run's checkpoints."""
    checkpoints = load_checkpoints(engine, run_id)
    pending = left = 0
    for partition, (first, end) in ranges.items():
        checkpoint = checkpoints.get(unit_name(partition))
        if checkpoint is not None and checkpoint.done:
            continue
        pending += 1
        left += end - (checkpoint.record if checkpoint is not None else first)
    return pending, max(left, 0)


class _Reader:
    """One process's consumer: group membership, and the records of one partition at a time.

    The consumer's event loop runs in a thread of its own, so fetching (and the
    group's heartbeats) go on while the calling thread judges and writes: the
    next batch is usually in memory by the time the last one is stored.
    """

    def __init__(self, source: KafkaSource, plan: Plan) -> None:
        self.source, self.plan = source, plan
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

        async def join() -> AIOKafkaConsumer:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=source.brokers,
                group_id=group_name(plan.run_id),
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_interval_ms=600_000,  # a batch write may take a while; stay in
                # One partition is read at a time: fetch it in big pieces.
                max_partition_fetch_bytes=FETCH_BYTES,
                fetch_max_bytes=FETCH_BYTES,
            )
            await consumer.start()
            return consumer

        self.consumer = self._call(join())
        self.tps = self._call(_partitions(source.brokers, source.topic))
        self.bounds = self._call(_bounds(self.consumer, self.tps, plan.window))
        self.consumer.subscribe([source.topic])

    def _submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return self._submit(work).result()

    def _assigned(self) -> set[TopicPartition]:
        async def ask() -> set[TopicPartition]:
            return set(self.consumer.assignment())

        return self._call(ask())

    def assignment(self) -> set[TopicPartition]:
        """This process's partitions, once the group has given it some (or none)."""
        deadline = time.monotonic() + ASSIGNMENT_TIMEOUT_S
        while not self._assigned() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self._assigned()

    def records(self, tp: TopicPartition, start: int, end: int) -> Iterator[tuple[int, Exchange]]:
        """(offset, exchange) of `tp` from `start` up to `end`; raises `Revoked` if it moves."""
        consumer, source = self.consumer, self.source

        async def focus() -> bool:
            if tp not in consumer.assignment():
                return False
            consumer.pause(*(consumer.assignment() - {tp}))
            consumer.resume(tp)
            consumer.seek(tp, start)
            return True

        async def fetch() -> tuple[bool, list[Any], int]:
            if tp not in consumer.assignment():
                return False, [], 0
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=5000)
            records = batch.get(tp, [])
            return True, records, 0 if records else await consumer.position(tp)

        if not self._call(focus()):
            raise Revoked(str(tp))
        position = start
        ahead = self._submit(fetch())
        try:
            while position < end:
                owned, batch, reached = ahead.result()
                if not owned:
                    raise Revoked(str(tp))
                ahead = self._submit(fetch())  # the next batch comes while this one is judged
                if not batch:
                    if reached < position:
                        raise Revoked(str(tp))  # restarted from its beginning, as below
                    position = reached
                    continue
                for record in batch:
                    if record.offset >= end:
                        return
                    if record.offset < position:
                        # Moved away and back: the consumer restarted the partition from its
                        # beginning. Start over from the checkpoint instead.
                        raise Revoked(str(tp))
                    position = record.offset + 1
                    if any(key == TICK_HEADER for key, _ in record.headers or ()):
                        continue
                    try:
                        exchange = codec.decode(
                            record.value or b"",
                            schema_id=source.schema_id,
                            max_record_bytes=source.max_record_bytes,
                            max_body_bytes=self.plan.max_body_bytes,
                        )
                    except codec.DecodeError:
                        continue  # the live worker dead-letters these; nothing to judge
                    yield record.offset, exchange
        finally:
            ahead.cancel()

    def close(self) -> None:
        try:
            self._call(self.consumer.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


def kafka_work(plan: Plan, source: KafkaSource, report: Reporter) -> UnitStats:
    """One process's part: the partitions the group gives it, until every one is done.

    A process whose own partitions are done stays in the group while others
    still read theirs, so a partition whose process dies is taken over.
    """
    engine = storage.connect(plan.db_url)
    reader = _Reader(source, plan)
    totals = [0, 0, 0]
    try:
        writer = writer_for(engine, plan)
        while True:
            # The assignment first: waiting for it may take seconds, during which other
            # processes finish partitions, and a checkpoint read before would be stale.
            assigned = reader.assignment()
            checkpoints = load_checkpoints(engine, plan.run_id)
            undone = {
                tp
                for tp in reader.tps
                if not (c := checkpoints.get(unit_name(tp.partition))) or not c.done
            }
            if not undone:
                return UnitStats(*totals)
            todo = sorted(assigned & undone)
            if not todo:
                # Other processes hold what is left: stay in the group, to take it over
                # should one of them go.
                time.sleep(IDLE_RECHECK_S)
                continue
            tp = todo[0]
            name = unit_name(tp.partition)
            checkpoint = checkpoints.get(name)
            first, end = reader.bounds[tp]
            start = checkpoint.record if checkpoint is not None else first

            def save(offset: int, watermark: datetime | None, done: bool, name: str = name) -> None:
                save_checkpoint(engine, plan.run_id, Checkpoint(name, "", offset, watermark, done))

            try:
                stats = replay(
                    reader.records(tp, start, end),
                    plan.rules,
                    writer,
                    window=plan.window,
                    start=start,
                    after=lambda offset: offset + 1,
                    on_checkpoint=save,
                    watermark=checkpoint.watermark if checkpoint is not None else None,
                    on_progress=report,
                    batch_size=plan.batch_size,
                    max_body_bytes=plan.max_body_bytes,
                )
            except Revoked:
                continue  # its checkpoint stays; whoever owns it now resumes from there
            totals = [totals[0] + stats.records, totals[1] + stats.judged, totals[2] + stats.stored]
    finally:
        reader.close()
        engine.dispose()


def reprocess_kafka(engine: Engine, plan: Plan, source: KafkaSource, report: Reporter) -> Outcome:
    """Judge the run's range of `source` on `plan.workers` processes of its group.

    A KeyboardInterrupt leaves the run `interrupted`; a return while partitions
    remain (other machines read them) leaves it `running`.
    """
    ranges = kafka_plan(source, plan.window)
    pending, _ = remaining(engine, plan.run_id, ranges)

    def work() -> UnitStats:
        if plan.workers <= 1:
            return kafka_work(plan, source, report)
        return run_processes(plan.workers, lambda _, send: kafka_work(plan, source, send), report)

    return run_job(
        engine,
        plan.run_id,
        work,
        units=len(ranges),
        pending=pending,
        complete=lambda: remaining(engine, plan.run_id, ranges)[0] == 0,
        unfinished="running",
    )


def total_records(engine: Engine, plan: Plan, source: KafkaSource) -> int:
    """How many records the run has left to read in `source` (for progress)."""
    return remaining(engine, plan.run_id, kafka_plan(source, plan.window))[1]
