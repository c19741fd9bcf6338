"""`shadowdiff archive`: a consumer group that keeps the exchanges topic as hourly files.

Each process of the group archives the partitions Kafka assigns it
(`PartitionArchive`), and commits a partition's offset only after the files
before it are closed and durable. On a rebalance it closes the files of the
partitions it loses and commits, so the next owner starts where it stopped;
after a crash the next owner re-reads from the last commit and the archive's
own rule (a closed file's range is never written twice) keeps every record
exactly once. Run as many processes as the topic has partitions, on as many
machines; they share the partitions through the group.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from streams.replay.archive import ArchiveCounters, PartitionArchive
from streams.replay.archive_file import Compression
from streams.replay.location import Location
from streams.ticks import TICK_HEADER, decode_tick


@dataclass(frozen=True, slots=True)
class ArchiverConfig:
    """Where to read, where to write, and when files close (see `PartitionArchive`).

    `root`: a local directory, or a `Location` on any fsspec filesystem.

    `stop_when_idle_s`: stop (closing every file) after that long without a
    record, for catching up with a topic in a batch job; None runs until stopped.
    """

    brokers: list[str]
    topic: str
    root: Path | Location
    group: str = "shadowdiff-archive"
    compression: Compression = "deflate"
    close_after: timedelta = timedelta(minutes=1)
    max_open_s: float = 600.0
    commit_interval_s: float = 5.0
    stop_when_idle_s: float | None = None
    schema_id: int | None = None
    max_records: int = 5000


Reporter = Callable[[ArchiveCounters, int], None]
"""Told, every few seconds, the counters so far and how many partitions this process owns."""


class _Archiver(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, config: ArchiverConfig, consumer: AIOKafkaConsumer) -> None:
        self.config = config
        self.consumer = consumer
        self.partitions: dict[TopicPartition, PartitionArchive] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.counters = ArchiveCounters()

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        for tp in revoked:
            archive = self.partitions.get(tp)
            if archive is not None:
                archive.close_all()
        await self.commit(list(revoked))
        for tp in revoked:
            self._forget(tp)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        config = self.config
        for tp in assigned:
            if tp not in self.partitions:
                self.partitions[tp] = PartitionArchive(
                    config.root,
                    tp.partition,
                    compression=config.compression,
                    close_after=config.close_after,
                    max_open_s=config.max_open_s,
                    schema_id=config.schema_id,
                )

    def _forget(self, tp: TopicPartition) -> None:
        archive = self.partitions.pop(tp, None)
        self.committed.pop(tp, None)
        if archive is not None:
            for name in ("archived", "skipped", "undecodable", "files"):
                setattr(
                    self.counters,
                    name,
                    getattr(self.counters, name) + getattr(archive.counters, name),
                )

    async def commit(self, tps: list[TopicPartition] | None = None) -> None:
        """Commit each partition's safe offset (files before it are durable), when it moved."""
        offsets = {}
        for tp in tps if tps is not None else list(self.partitions):
            archive = self.partitions.get(tp)
            offset = archive.commit_offset() if archive is not None else None
            if offset is not None and self.committed.get(tp) != offset:
                offsets[tp] = offset
        if offsets:
            await self.consumer.commit(offsets)
            self.committed.update(offsets)

    def totals(self) -> ArchiveCounters:
        total = ArchiveCounters(**{f: getattr(self.counters, f) for f in ArchiveCounters.__slots__})
        for archive in self.partitions.values():
            for name in ArchiveCounters.__slots__:
                setattr(total, name, getattr(total, name) + getattr(archive.counters, name))
        return total


async def run_archiver(
    config: ArchiverConfig,
    stop: asyncio.Event,
    report: Reporter | None = None,
    report_interval_s: float = 5.0,
) -> ArchiveCounters:
    """Archive until `stop` is set (or the topic is idle, see the config); the counters."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=config.brokers,
        group_id=config.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    archiver = _Archiver(config, consumer)
    await consumer.start()
    try:
        consumer.subscribe([config.topic], listener=archiver)
        last_commit = last_report = last_record = time.monotonic()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=config.max_records)
            now = time.monotonic()
            for tp, records in batches.items():
                archive = archiver.partitions.get(tp)
                if archive is None:
                    continue  # revoked while the fetch was under way
                for record in records:
                    headers = dict(record.headers or ())
                    tick = decode_tick(record.value) if TICK_HEADER in headers else None
                    archive.add(record.offset, record.value, tick=tick)
                last_record = now
            closed = [
                made for archive in archiver.partitions.values() for made in archive.close_ready()
            ]
            if closed or now - last_commit >= config.commit_interval_s:
                await archiver.commit()
                last_commit = now
            if report is not None and now - last_report >= report_interval_s:
                report(archiver.totals(), len(archiver.partitions))
                last_report = now
            idle = config.stop_when_idle_s
            if idle is not None and now - last_record >= idle and archiver.partitions:
                break
        for archive in archiver.partitions.values():
            archive.close_all()
        await archiver.commit()
        return archiver.totals()
    finally:
        await consumer.stop()
