"""The Faust worker: wiring of join, judge and store onto Kafka topics.

Two agents in one app (one consumer group, scaling with partitions):

- `join` reads `shadowdiff.exchanges` event by event (Faust tables may only be
  written inside stream iteration of an event), feeds `JoinState`, and sends each
  verdict to `shadowdiff.comparisons`. Its pending sides live in a changelog-backed
  table, so a restarted worker recovers them.
- `store` reads `shadowdiff.comparisons` in batches and writes them to the
  database idempotently. Faust acks a batch only when the agent asks for the next
  one, so offsets advance only after the rows are committed.

Delivery is at-least-once with idempotent writes: Faust flushes the producer
(changelog writes and verdicts) before it commits the offsets of the events that
caused them, and the store ignores a (run, request_id) it already has.

Why nothing may escape an agent: an exception that escapes acks the failing
message, so it would be skipped. Undecodable records go to the dead-letter topic;
an unreachable database is retried with backoff and, past a bound, the process
exits without acking so the batch is redelivered to whoever takes over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import faust

import storage
from comparator import Result, RuleSet
from streams import codec
from streams.deadletter import DeadLetters
from streams.exchange import Exchange
from streams.join import JoinState, Orphan
from streams.judge import judge_orphan, judge_pair
from streams.pending_store import EncodedPending
from streams.results import decode_result, encode_result
from streams.ticks import TICK_HEADER, decode_tick, encode_tick

log = logging.getLogger("shadowdiff.worker")

EXIT_STORE_UNAVAILABLE = 75  # EX_TEMPFAIL: a supervisor should restart the worker


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Everything the worker needs, resolved by the CLI from `Settings` and flags."""

    brokers: list[str]
    database_url: str
    rules: RuleSet
    app_id: str = "shadowdiff"
    exchanges_topic: str = "shadowdiff.exchanges"
    comparisons_topic: str = "shadowdiff.comparisons"
    deadletter_topic: str = "shadowdiff.deadletter"
    partitions: int = 4
    grace: timedelta = timedelta(seconds=30)
    tick_interval_s: float = 5.0
    batch_size: int = 500
    batch_within_s: float = 0.5
    store_retry_limit_s: float = 300.0
    max_record_bytes: int = codec.DEFAULT_MAX_RECORD_BYTES
    datadir: Path = field(default_factory=lambda: Path(".cache/worker"))
    run_id: str = storage.writer.LIVE_RUN


def build_app(config: WorkerConfig) -> faust.App:
    """A Faust app with the join and store agents and the tick timer."""
    app = faust.App(
        config.app_id,
        broker=[f"kafka://{b}" for b in config.brokers],
        store="memory://",
        datadir=str(config.datadir),
        topic_partitions=config.partitions,
        topic_replication_factor=1,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        producer_acks=-1,
        processing_guarantee="at_least_once",
    )
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "value_serializer": "raw"}
    exchanges = app.topic(config.exchanges_topic, partitions=config.partitions, **raw)
    comparisons = app.topic(config.comparisons_topic, partitions=config.partitions, **raw)
    dead = DeadLetters(app.topic(config.deadletter_topic, partitions=1, **raw))
    pending_table = app.Table(
        "pending",
        partitions=config.partitions,
        # bytes types make Faust use the raw codec for the changelog, recovery included.
        key_type=bytes,
        value_type=bytes,
    )
    joiner = _Joiner(pending_table, config.grace, config.rules)

    @app.on_partitions_revoked.connect
    async def _forget_join_state(*_: Any, **__: Any) -> None:
        joiner.reset()  # rebuilt from the table once the new assignment is recovered

    @app.agent(exchanges, name="join")
    async def join(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            try:
                if event.headers and TICK_HEADER in event.headers:
                    results = joiner.tick(message.partition, decode_tick(message.value))
                else:
                    exchange = codec.decode(message.value, max_record_bytes=config.max_record_bytes)
                    results = joiner.offer(exchange, message.partition, message.timestamp)
                for result in results:
                    await comparisons.send(
                        key=result.request_id.encode(), value=encode_result(result)
                    )
            except codec.DecodeError as error:
                await dead.send(message, error.kind, error.reason)
            except Exception as error:
                log.exception(
                    "join failed on %s[%d]@%d", message.topic, message.partition, message.offset
                )
                await dead.send(message, "internal", f"{type(error).__name__}: {error}")

    writer_holder: list[storage.ResultWriter] = []

    @app.agent(comparisons, name="store")
    async def store(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(config.batch_size, within=config.batch_within_s):
            results = [decode_result(value) for value in batch]
            await _store_with_retry(results, config, writer_holder)

    @app.timer(interval=config.tick_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
    async def tick() -> None:
        """Advance every partition's event-time clock, so idle partitions expire too."""
        now_ms = int(time.time() * 1000)
        for partition in range(config.partitions):
            await exchanges.send(
                value=encode_tick(now_ms), partition=partition, headers={TICK_HEADER: b"1"}
            )

    return app


class _Joiner:
    """The join agent's state holder: `JoinState` over the table, rebuilt on rebalance.

    A tick moves a partition's event time by the wall time that passed between
    the publishing of the partition's last record and the tick (both read from the
    log), so an idle partition's clock keeps moving while a historic capture
    published in bulk is still judged by its own event times.
    """

    def __init__(self, table: Any, grace: timedelta, rules: RuleSet) -> None:
        self.table = table
        self.grace = grace
        self.rules = rules
        self._state: JoinState | None = None
        self._last: dict[int, tuple[datetime, float]] = {}

    @property
    def state(self) -> JoinState:
        if self._state is None:
            self._state = JoinState(EncodedPending(self.table), self.grace)
        return self._state

    def reset(self) -> None:
        self._state = None
        self._last.clear()

    def offer(self, exchange: Exchange, partition: int, published_s: float) -> list[Result]:
        results = []
        pair = self.state.offer(exchange, partition)
        if pair is not None:
            results.append(judge_pair(pair, self.rules))
        self._last[partition] = (exchange.started_at, published_s)
        results.extend(self._orphans(self.state.advance(partition, exchange.started_at)))
        return results

    def tick(self, partition: int, at: datetime) -> list[Result]:
        last = self._last.get(partition)
        if last is None:
            event_time = at
        else:
            event_time = last[0] + timedelta(seconds=max(0.0, at.timestamp() - last[1]))
        return self._orphans(self.state.advance(partition, event_time))

    def _orphans(self, orphans: list[Orphan]) -> list[Result]:
        return [judge_orphan(o, self.rules) for o in orphans]


async def _store_with_retry(
    results: list[Result], config: WorkerConfig, holder: list[storage.ResultWriter]
) -> None:
    """Write a batch, retrying while the database is unreachable; exit past the bound.

    Raising here would ack the batch and lose it; exiting the process without
    acking leaves the offsets uncommitted, so the batch is redelivered.
    """
    delay, waited = 0.2, 0.0
    while True:
        try:
            if not holder:
                engine = storage.connect(config.database_url)
                holder.append(
                    storage.ResultWriter(engine, config.run_id, config.rules.version, kind="live")
                )
            await asyncio.to_thread(holder[0].write, results)
            return
        except storage.StoreUnavailable as error:
            if waited >= config.store_retry_limit_s:
                log.critical("database unreachable for %.0fs, exiting: %s", waited, error)
                logging.shutdown()
                os._exit(EXIT_STORE_UNAVAILABLE)
            log.warning("database unreachable, retrying in %.1fs: %s", delay, error)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 10.0)
