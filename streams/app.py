"""The Faust worker: the join, the judge and the store wired onto Kafka.

One agent (one consumer group, scaling with partitions) reads
`shadowdiff.exchanges` event by event, feeds `JoinState`, judges each pair or
orphan, and hands the verdicts to an `Outbox` that writes them to the database
in batches and then publishes them to `shadowdiff.comparisons` for other
consumers.

State without a changelog: an event is acknowledged only once its request's
verdict is stored (see `streams.outbox`), so the committed offsets never pass a
waiting side, and a restarted or rebalanced worker rebuilds its join state by
re-reading from them. That costs no table write per side, no tombstone per
expiry and no second agent per verdict: the per-pair cost is decoding two
records, one comparison, a share of a batched insert and one publish.

Why nothing may escape the agent: Faust acks a message whose processing
raised, so it would be skipped. Undecodable records go to the dead-letter topic
with the reason; any other failure is logged and dead-lettered too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import faust

import storage
from comparator import Result, RuleSet
from streams import codec, registry
from streams.acks import AckLedger
from streams.deadletter import DeadLetters
from streams.exchange import Exchange
from streams.join import DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, JoinState
from streams.judge import judge_orphan, judge_pair
from streams.outbox import Outbox
from streams.results import encode_result
from streams.schemas import SchemaBook
from streams.ticks import TICK_HEADER, decode_tick, encode_tick

log = logging.getLogger("shadowdiff.worker")


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
    batch_within_s: float = 0.2
    store_retry_limit_s: float = 300.0
    max_record_bytes: int = codec.DEFAULT_MAX_RECORD_BYTES
    max_body_bytes: int = codec.DEFAULT_MAX_BODY_BYTES
    confluent_schema_id: int | None = None
    """Registry id of the Exchange schema for Confluent-framed records; None: refuse them."""
    schemas: SchemaBook | None = None
    """Writer schemas known besides the Exchange schema; None: its released versions only."""
    max_pending: int = DEFAULT_MAX_PENDING
    max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES
    datadir: Path = field(default_factory=lambda: Path(".cache/worker"))
    run_id: str = storage.writer.LIVE_RUN
    redaction_key: str | None = None
    """Key of the hash standing in for secrets; None: the public development key."""


def build_app(config: WorkerConfig) -> faust.App:
    """A Faust app with the judging agent, the outbox timer and the tick timer."""
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
        # Waiting sides stay unacked for up to the grace period by design; a
        # rebalance must not wait for them (the new owner re-reads them).
        stream_wait_empty=False,
    )
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "value_serializer": "raw"}
    exchanges = app.topic(config.exchanges_topic, partitions=config.partitions, **raw)
    dead = DeadLetters(app.topic(config.deadletter_topic, partitions=1, **raw))
    engine = storage.connect(config.database_url)
    writer = storage.ResultWriter(
        engine,
        config.run_id,
        config.rules.version,
        kind="live",
        redaction_key=config.redaction_key,
    )
    # The topic is kept like the database: no secret value reaches either.
    redactor = storage.Redactor(config.redaction_key)

    async def publish(results: Sequence[Result]) -> None:
        # Straight to the producer: the bytes are final, and Faust's Topic.send
        # layers (serialisers, callbacks, sensors) cost more than the send itself.
        # Faust still flushes this producer before it commits any offset.
        send = app.producer.send
        for result in results:
            key = result.request_id.encode()
            value = encode_result(redactor.result(result))
            await send(config.comparisons_topic, key, value, None, None, None)

    ledger = AckLedger()
    outbox = Outbox(
        writer.write,
        ledger.release,
        batch_size=config.batch_size,
        max_wait_s=config.batch_within_s,
        retry_limit_s=config.store_retry_limit_s,
        publish=publish,
    )
    joiner = Joiner(config)
    schemas = config.schemas or SchemaBook(confluent_id=config.confluent_schema_id)

    def decode(value: bytes) -> Exchange:
        return codec.decode(
            value,
            schema_id=config.confluent_schema_id,
            schemas=schemas,
            max_record_bytes=config.max_record_bytes,
            max_body_bytes=config.max_body_bytes,
        )

    @app.on_partitions_revoked.connect
    async def _forget_join_state(*_: Any, **__: Any) -> None:
        # Faust seeks back to the committed offsets: re-read, rebuild.
        joiner.reset()
        ledger.reset()

    @app.agent(exchanges, name="judge")
    async def judge(stream: faust.StreamT[bytes]) -> None:
        # noack: events are acked by the outbox once their verdicts are stored.
        manual: faust.StreamT[bytes] = stream.noack()  # type: ignore[attr-defined]
        async for event in manual.events():
            message = event.message
            ledger.track(event)
            try:
                if event.headers and TICK_HEADER in event.headers:
                    results, release = joiner.tick(message.partition, decode_tick(message.value))
                    release.append(event)
                else:
                    try:
                        exchange = decode(message.value)
                    except codec.SchemaNeeded as needed:  # once per registry id
                        await registry.learn(schemas, needed.schema_id)
                        exchange = decode(message.value)
                    results, release = joiner.offer(exchange, event, message.timestamp)
            except codec.DecodeError as error:
                await dead.send(message, error.kind, error.reason)
                results, release = [], [event]
            except JudgingFailed as failed:
                cause = failed.__cause__
                log.error(
                    "judging failed on %s[%d]@%d",
                    message.topic,
                    message.partition,
                    message.offset,
                    exc_info=cause,
                )
                await dead.send(message, "internal", f"judging failed: {cause!r}")
                results, release = [], failed.release
            except Exception as error:
                log.exception(
                    "judging failed on %s[%d]@%d", message.topic, message.partition, message.offset
                )
                await dead.send(message, "internal", f"{type(error).__name__}: {error}")
                results, release = [], [event]
            await outbox.add(results, release)

    @app.timer(interval=config.batch_within_s)  # type: ignore[untyped-decorator]
    async def flush_outbox() -> None:
        await outbox.flush_if_due()

    @app.timer(interval=config.tick_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
    async def tick() -> None:
        """Advance every partition's event-time clock, so idle partitions expire too."""
        now_ms = int(time.time() * 1000)
        for partition in range(config.partitions):
            await exchanges.send(
                value=encode_tick(now_ms), partition=partition, headers={TICK_HEADER: b"1"}
            )

    return app


class JudgingFailed(Exception):
    """The comparator failed on a pair; `release` are the events it no longer owes."""

    def __init__(self, release: list[Any]) -> None:
        super().__init__("judging a pair failed")
        self.release = release


class Joiner:
    """`JoinState` plus the unacked events each waiting request holds.

    `offer` and `tick` return the verdicts they caused and the events those
    verdicts release (to ack once stored). Events of a request that still waits
    are held; events that owe nothing (late duplicates, secondaries) are released
    with the next batch.

    A tick moves a partition's event time by the wall time that passed between
    the publishing of the partition's last record and the tick (both read from the
    log), so an idle partition's clock keeps moving while a historic capture
    published in bulk is still judged by its own event times.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        self.state = JoinState(
            self.config.grace,
            max_pending=self.config.max_pending,
            max_pending_bytes=self.config.max_pending_bytes,
        )
        self.held: dict[str, list[Any]] = {}
        self._last: dict[int, tuple[datetime, float]] = {}

    def offer(
        self, exchange: Exchange, event: Any, published_s: float
    ) -> tuple[list[Result], list[Any]]:
        partition: int = event.message.partition
        request_id = exchange.request_id
        results: list[Result] = []
        release: list[Any] = []
        pair = self.state.offer(exchange, partition)
        if pair is not None:
            release.extend(self.held.pop(request_id, ()))
            release.append(event)
            try:
                results.append(judge_pair(pair, self.config.rules))
            except Exception as error:
                # Held events must still be released, or the partition's
                # committed offset would stop here for good.
                raise JudgingFailed(release) from error
        elif self.state.waiting(request_id):
            self.held.setdefault(request_id, []).append(event)
        else:
            release.append(event)
        self._last[partition] = (exchange.started_at, published_s)
        more, freed = self._orphans(self.state.advance(partition, exchange.started_at))
        return results + more, release + freed

    def tick(self, partition: int, at: datetime) -> tuple[list[Result], list[Any]]:
        last = self._last.get(partition)
        if last is None:
            event_time = at
        else:
            event_time = last[0] + timedelta(seconds=max(0.0, at.timestamp() - last[1]))
        return self._orphans(self.state.advance(partition, event_time))

    def _orphans(self, orphans: list[Any]) -> tuple[list[Result], list[Any]]:
        results = [judge_orphan(o, self.config.rules) for o in orphans]
        release = [e for o in orphans for e in self.held.pop(o.present.request_id, ())]
        return results, release
