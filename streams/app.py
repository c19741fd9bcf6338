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

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faust

import storage
from alerting import Webhook
from analysis import RuleBook
from comparator import Result, RuleSet
from storage import compaction, retention
from streams import alert_judge, codec, metrics_http, registry
from streams.acks import AckLedger
from streams.deadletter import DeadLetters
from streams.exchange import Exchange
from streams.join import DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, Expired, JoinState
from streams.judge import judge_expired, judge_pair
from streams.metrics import JoinGauges, WorkerMetrics
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
    retention: tuple[timedelta | None, timedelta | None] = (None, None)
    """Ages past which the leader prunes raw rows and rollups; None: never."""
    retention_interval_s: float = 3600.0
    """How often the leader prunes, when `retention` names an age."""
    compaction_interval_s: float = 60.0
    """How often the leader compacts the last day's latency into spans
    (`storage.compaction`); the whole history the first time; 0: never."""
    alert_rules: RuleBook = field(default_factory=RuleBook)
    alert_interval_s: float = 30.0
    """How often the leader judges the rollups for alerts (`streams.alert_judge`); 0: never."""
    alerts_topic: str = "shadowdiff.alerts"
    alert_webhooks: tuple[Webhook, ...] = ()
    metrics_port: int = 0
    """Port of `/metrics` (`streams.metrics`); 0: no metrics served."""


def build_app(config: WorkerConfig) -> faust.App:
    """A Faust app with the judging agent, the outbox timer and the tick timer.

    With a metrics port, the port is bound here (raising
    `metrics_http.MetricsPortUnavailable` when taken) and served once the app runs.
    """
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

    # Without a port nothing is counted either: no metrics cost nothing.
    metrics = WorkerMetrics() if config.metrics_port else None
    ledger = AckLedger()
    outbox = Outbox(
        # The ids, not just how many: metrics count exactly the verdicts stored.
        writer.inserted_ids,
        ledger.release,
        batch_size=config.batch_size,
        max_wait_s=config.batch_within_s,
        retry_limit_s=config.store_retry_limit_s,
        publish=publish,
        observer=metrics,
    )
    joiner = Joiner(config)
    processed: dict[int, int] = {}  # partition -> offset of the last event the agent took
    if metrics is not None:
        _serve_metrics(metrics, app, config, joiner, dead, processed)
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
        processed.clear()

    @app.agent(exchanges, name="judge")
    async def judge(stream: faust.StreamT[bytes]) -> None:
        # noack: events are acked by the outbox once their verdicts are stored.
        manual: faust.StreamT[bytes] = stream.noack()  # type: ignore[attr-defined]
        async for event in manual.events():
            message = event.message
            ledger.track(event)
            processed[message.partition] = message.offset
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

    if config.alert_interval_s > 0:
        alert_judge.install(app, config, engine)

    if config.compaction_interval_s > 0:
        compacted_history = False

        @app.timer(interval=config.compaction_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
        async def compact() -> None:
            """Keep long time series fast; a span left stale is read from its minutes meanwhile."""
            nonlocal compacted_history
            lookback = compaction.LOOKBACK if compacted_history else None
            try:
                await asyncio.to_thread(
                    compaction.compact, engine, config.run_id, lookback=lookback
                )
            except storage.StorageError as error:
                log.warning("compaction skipped this time: %s", error)
                return
            compacted_history = True

    if config.retention != (None, None):

        @app.timer(interval=config.retention_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
        async def prune() -> None:
            """Retention (`storage.retention`): cuts fall on whole days, so hourly is plenty."""
            raw, rollups = config.retention
            try:
                done = await asyncio.to_thread(
                    retention.prune,
                    engine,
                    now=datetime.now(UTC),
                    raw_older_than=raw,
                    rollups_older_than=rollups,
                )
            except storage.StorageError as error:
                log.warning("retention skipped this hour: %s", error)
                return
            if done.raw_days or done.raw_rows or done.rollup_rows:
                log.info("retention: %s", done)

    return app


def _serve_metrics(
    metrics: WorkerMetrics,
    app: faust.App,
    config: WorkerConfig,
    joiner: Joiner,
    dead: DeadLetters,
    processed: dict[int, int],
) -> None:
    """Hand the numbers the worker keeps to its metrics, and serve them."""
    metrics.watch_join(joiner.gauges)
    metrics.watch_dead_letters(lambda: dead.counts)

    def lag() -> dict[int, int]:
        # Partitions the agent has taken nothing from yet have no position to
        # measure from; they appear with their first event.
        behind: dict[int, int] = {}
        try:
            assigned = app.consumer.assignment()
        except Exception:  # no consumer yet (starting) or none any more (stopping)
            return behind
        for tp in assigned:
            done = processed.get(tp.partition)
            if tp.topic != config.exchanges_topic or done is None:
                continue
            highwater = app.consumer.highwater(tp)
            if highwater is not None:
                behind[tp.partition] = max(0, highwater - done - 1)
        return behind

    metrics.watch_consumer_lag(lag)
    sock = metrics_http.bind(config.metrics_port)

    @app.task  # type: ignore[untyped-decorator]
    async def serve() -> None:
        await metrics_http.serve(metrics.registry, sock)


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
        self.evicted_earlier = 0  # by the states that resets replaced
        self.reset()

    def reset(self) -> None:
        replaced: JoinState | None = getattr(self, "state", None)
        if replaced is not None:
            self.evicted_earlier += replaced.counters.evicted
        self.state = JoinState(
            self.config.grace,
            max_pending=self.config.max_pending,
            max_pending_bytes=self.config.max_pending_bytes,
        )
        self.held: dict[str, list[Any]] = {}
        self._last: dict[int, tuple[datetime, float]] = {}

    def gauges(self) -> JoinGauges:
        """What the join holds now; evictions since the process began."""
        state = self.state
        return JoinGauges(
            pending_sides=len(state.pending),
            pending_bytes=state.pending_bytes,
            evictions=self.evicted_earlier + state.counters.evicted,
        )

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
        try:
            more, freed = self._orphans(self.state.advance(partition, exchange.started_at))
        except JudgingFailed as failed:
            failed.release.extend(release)
            raise
        return results + more, release + freed

    def tick(self, partition: int, at: datetime) -> tuple[list[Result], list[Any]]:
        last = self._last.get(partition)
        if last is None:
            event_time = at
        else:
            event_time = last[0] + timedelta(seconds=max(0.0, at.timestamp() - last[1]))
        return self._orphans(self.state.advance(partition, event_time))

    def _orphans(self, expired: list[Expired]) -> tuple[list[Result], list[Any]]:
        release = [event for e in expired for event in self.held.pop(e.request_id, ())]
        try:
            # A pair whose secondary never came is judged here, and may fail.
            return [judge_expired(e, self.config.rules) for e in expired], release
        except Exception as error:
            raise JudgingFailed(release) from error
