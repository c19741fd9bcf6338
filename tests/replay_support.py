"""Shared by the reprocessing tests: synthetic traffic as captures and archives, runs read back."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

import storage
from comparator import RuleSet
from storage.models import comparisons
from streams import codec
from streams.exchange import Exchange
from streams.pipeline import run_pipeline
from streams.replay.archive_file import OpenFile
from streams.replay.layout import hour_of

GRACE = timedelta(seconds=30)

Rows = dict[str, tuple[str, str | None]]
"""request id → (verdict, signature) of one run."""


def partition_of(request_id: str, partitions: int) -> int:
    return zlib.crc32(request_id.encode()) % partitions


def write_archive(root: Path | str, exchanges: Sequence[Exchange], partitions: int) -> int:
    """Lay `exchanges` out as the archiver would: per partition (by request id), per hour.

    Offsets are positions within each partition; returns how many files were made.
    """
    by_partition: dict[int, list[Exchange]] = defaultdict(list)
    for exchange in exchanges:
        by_partition[partition_of(exchange.request_id, partitions)].append(exchange)
    made = 0
    for partition, records in by_partition.items():
        files: dict[object, OpenFile] = {}
        for offset, exchange in enumerate(records):
            hour = hour_of(exchange.started_at)
            if hour not in files:
                files[hour] = OpenFile(root, partition, hour, offset)
            files[hour].append(offset, codec.to_record(exchange))
        for open_file in files.values():
            open_file.close()
            made += 1
    return made


def live_run(url: str, exchanges: Sequence[Exchange], rules: RuleSet) -> None:
    """Judge `exchanges` as the live run, the way `shadowdiff demo` does."""
    engine = storage.connect(url)
    storage.upgrade(engine)
    writer = storage.ResultWriter(engine, rules_version=rules.version, kind="live")
    run_pipeline(exchanges, rules, writer, grace=GRACE)
    engine.dispose()


def run_rows(url: str, run_id: str) -> Rows:
    engine = storage.connect(url)
    query = sa.select(comparisons.c.request_id, comparisons.c.verdict, comparisons.c.signature)
    with engine.connect() as connection:
        rows = connection.execute(query.where(comparisons.c.run_id == run_id)).all()
    engine.dispose()
    return {request_id: (verdict, signature) for request_id, verdict, signature in rows}
