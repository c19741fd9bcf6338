"""Records the worker could not use go to the dead-letter topic, never away.

Each dead letter keeps the original key and bytes, with headers saying why
(`shadowdiff-reason`, a sentence; `shadowdiff-failure`, a short stable code) and
where it came from (`shadowdiff-source`, ``topic/partition/offset``), so it can
be inspected and replayed after a fix. An original too large for the topic is
kept as its first bytes, its full length in `shadowdiff-original-bytes`.

Writing: `DeadLetters` (used by the worker). Reading: `read_dead_letters`, which
scans the topic from a point in time up to its end as of the call (the
`shadowdiff deadletters` command).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

log = logging.getLogger("shadowdiff.deadletter")

# Kafka's default message size limit is 1 MiB: an oversized original is kept as
# its first bytes, and its full length is recorded in a header.
MAX_DEAD_LETTER_BYTES = 512 * 1024

FAILURE_HEADER: Final = "shadowdiff-failure"
REASON_HEADER: Final = "shadowdiff-reason"
SOURCE_HEADER: Final = "shadowdiff-source"
ORIGINAL_BYTES_HEADER: Final = "shadowdiff-original-bytes"

SUMMARY_EVERY: Final = 100
"""A summary line of all counts is logged each time one failure code reaches a
multiple of this; single dead letters are logged at WARNING only up to this many
per code (then at DEBUG), so a flood of bad input cannot flood the log."""


class TopicSink(Protocol):
    """Where dead letters are produced: a Faust topic, or any producer adapter."""

    async def send(self, *, key: Any, value: bytes, headers: dict[str, bytes]) -> Any: ...


class DeadLetters:
    """Sends failed records to a topic and counts them per failure code.

    `counts` holds every dead letter this process sent, per code; `summary()`
    renders them for a log line.
    """

    def __init__(self, topic: TopicSink, *, summary_every: int = SUMMARY_EVERY) -> None:
        if summary_every < 1:
            raise ValueError("summary_every must be at least 1")
        self.topic = topic
        self.counts: Counter[str] = Counter()
        self.summary_every = summary_every

    def summary(self) -> str:
        """The counts as ``code=n`` pairs, commonest first; ``none`` when empty."""
        if not self.counts:
            return "none"
        return " ".join(f"{code}={n}" for code, n in self.counts.most_common())

    async def send(self, message: Any, failure: str, reason: str) -> None:
        """Dead-letter `message` (anything with key, value, topic, partition, offset)."""
        value: bytes = message.value or b""
        source = f"{message.topic}/{message.partition}/{message.offset}"
        headers = {
            FAILURE_HEADER: failure.encode(),
            REASON_HEADER: reason.encode(),
            SOURCE_HEADER: source.encode(),
        }
        if len(value) > MAX_DEAD_LETTER_BYTES:
            headers[ORIGINAL_BYTES_HEADER] = str(len(value)).encode()
            value = value[:MAX_DEAD_LETTER_BYTES]
        self.counts[failure] += 1
        seen = self.counts[failure]
        level = logging.WARNING if seen <= self.summary_every else logging.DEBUG
        log.log(level, "dead letter (%s) from %s: %s", failure, source, reason)
        if seen % self.summary_every == 0:
            log.warning("dead letters so far: %s", self.summary())
        await self.topic.send(key=message.key, value=value, headers=headers)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of the dead-letter topic, as a person inspects it.

    `size` is the original record's length (the header's when it was cut);
    `kept` is how many of its bytes the dead letter holds. `partition` and
    `offset` locate the dead letter itself; `source` locates the original.
    """

    timestamp: datetime
    failure: str
    reason: str
    source: str
    key: bytes | None
    size: int
    kept: int
    partition: int
    offset: int

    @property
    def truncated(self) -> bool:
        return self.kept < self.size

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.timestamp.isoformat(),
            "failure": self.failure,
            "reason": self.reason,
            "source": self.source,
            "key": None if self.key is None else self.key.decode("utf-8", "replace"),
            "size": self.size,
            "truncated": self.truncated,
            "partition": self.partition,
            "offset": self.offset,
        }


def _text(value: bytes | None) -> str:
    return "" if value is None else value.decode("utf-8", "replace")


def parse_dead_letter(
    *,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes | None]],
    partition: int = 0,
    offset: int = 0,
) -> DeadLetter:
    """A `DeadLetter` from a raw record; missing headers read as ``unknown`` / empty.

    Never raises on a record written by something else: the topic is a place
    for bad data, and its reader must not be the next victim.
    """
    found = {name: raw for name, raw in headers}
    kept = len(value or b"")
    size = kept
    original = _text(found.get(ORIGINAL_BYTES_HEADER)).strip()
    if original.isdigit():
        size = max(kept, int(original))
    return DeadLetter(
        timestamp=datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC),
        failure=_text(found.get(FAILURE_HEADER)) or "unknown",
        reason=_text(found.get(REASON_HEADER)),
        source=_text(found.get(SOURCE_HEADER)),
        key=key,
        size=size,
        kept=kept,
        partition=partition,
        offset=offset,
    )


@dataclass(frozen=True, slots=True)
class DeadLetterScan:
    """What a scan found: the newest `limit` dead letters (oldest first) and the
    counts per failure code over every dead letter in the range."""

    letters: tuple[DeadLetter, ...]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class DeadLetterReadError(RuntimeError):
    """The dead-letter topic could not be read; the message says what and where."""


async def read_dead_letters(
    bootstrap: str | list[str],
    topic: str,
    *,
    since: datetime | None = None,
    limit: int | None = 100,
    stall_timeout_s: float = 30.0,
    request_timeout_ms: int = 10_000,
) -> DeadLetterScan:
    """Every dead letter of `topic` from `since` (the start when None) to its current end.

    The end is fixed when the scan begins, so a topic still being written to
    cannot keep it running. Only the newest `limit` letters are kept in memory
    (None: all of them); the counts cover the whole range. A topic that does not
    exist yet holds no dead letters. Raises `DeadLetterReadError` when no broker
    answers or no record arrives for `stall_timeout_s` before the end is reached.
    """
    where = bootstrap if isinstance(bootstrap, str) else ",".join(bootstrap)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=request_timeout_ms,
    )
    try:
        await consumer.start()
    except KafkaConnectionError as exc:
        await consumer.stop()
        raise DeadLetterReadError(f"cannot reach Kafka at {where}: {exc}") from exc
    try:
        return await _scan(consumer, topic, since, limit, stall_timeout_s)
    except KafkaError as exc:
        raise DeadLetterReadError(f"reading {topic} from {where} failed: {exc}") from exc
    finally:
        await consumer.stop()


async def _scan(
    consumer: AIOKafkaConsumer,
    topic: str,
    since: datetime | None,
    limit: int | None,
    stall_timeout_s: float,
) -> DeadLetterScan:
    # `topics()` lists without creating: asking for one topic's partitions
    # could create it on a broker that auto-creates topics.
    if topic not in await consumer.topics():
        return DeadLetterScan((), {})
    # Every topic has a partition 0: assigning it makes the consumer track the
    # topic's metadata, which then names all of its partitions.
    first = TopicPartition(topic, 0)
    consumer.assign([first])
    await consumer.end_offsets([first])
    parts = consumer.partitions_for_topic(topic) or {0}
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    consumer.assign(tps)
    end: dict[TopicPartition, int] = await consumer.end_offsets(tps)
    if since is None:
        start: dict[TopicPartition, int] = await consumer.beginning_offsets(tps)
    else:
        ms = int(since.timestamp() * 1000)
        found = await consumer.offsets_for_times({tp: ms for tp in tps})
        start = {tp: end[tp] if found[tp] is None else found[tp].offset for tp in tps}
    remaining = {tp for tp in tps if start[tp] < end[tp]}
    for tp in tps:
        consumer.seek(tp, start[tp])
    # A min-heap on (time, partition, offset) keeps the newest `limit` letters.
    newest: list[tuple[datetime, int, int, DeadLetter]] = []
    counts: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    last_progress = loop.time()
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=500)
        if not any(batches.values()):
            if loop.time() - last_progress > stall_timeout_s:
                raise DeadLetterReadError(
                    f"no record of {topic} arrived for {stall_timeout_s:.0f}s "
                    f"before its end was reached"
                )
            continue
        last_progress = loop.time()
        for tp, records in batches.items():
            for record in records:
                if record.offset >= end[tp]:
                    break
                letter = parse_dead_letter(
                    timestamp_ms=record.timestamp,
                    key=record.key,
                    value=record.value,
                    headers=record.headers,
                    partition=record.partition,
                    offset=record.offset,
                )
                counts[letter.failure] += 1
                entry = (letter.timestamp, letter.partition, letter.offset, letter)
                if limit is None or len(newest) < limit:
                    heapq.heappush(newest, entry)
                elif limit and entry[:3] > newest[0][:3]:
                    heapq.heapreplace(newest, entry)
            if await consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
    letters = tuple(entry[3] for entry in sorted(newest, key=lambda e: e[:3]))
    return DeadLetterScan(letters, dict(counts.most_common()))
