"""Dead letters on a real broker: bad records in, `shadowdiff deadletters` lists them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from click.testing import CliRunner

from shadowdiff.cli import main
from streams import codec
from streams.deadletter import MAX_DEAD_LETTER_BYTES, DeadLetters
from streams.exchange import Exchange
from tests.integration.topics import read_topic

OVERSIZED = MAX_DEAD_LETTER_BYTES + 100_000
RECORD_LIMIT = MAX_DEAD_LETTER_BYTES


def _bad_records() -> list[tuple[bytes, bytes]]:
    """(key, value) of records the worker must dead-letter, one per kind of failure."""
    good = codec.encode(
        Exchange("r-ok", "primary", "GET /x", "GET", "/x", datetime(2024, 6, 1, tzinfo=UTC), 200)
    )
    return [
        (b"r-empty", b""),
        (b"r-marker", b"<html>not avro</html>"),
        (b"r-fingerprint", b"\xc3\x01" + b"\x00" * 8 + good[10:]),
        (b"r-truncated", good[: len(good) // 2]),
        (b"r-trailing", good + b"\x00\x00"),
        (b"r-big", good[:10] + b"\x00" * (OVERSIZED - 10)),
    ]


@dataclass(slots=True)
class ProducerSink:
    """The topic side of `DeadLetters` over a real aiokafka producer."""

    producer: AIOKafkaProducer
    topic: str

    async def send(self, *, key: Any, value: bytes, headers: dict[str, bytes]) -> None:
        await self.producer.send_and_wait(self.topic, value, key=key, headers=list(headers.items()))


async def _create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, n, replication_factor=1) for t, n in topics.items()])
    finally:
        await admin.close()


async def _dead_letter_bad_input(
    bootstrap: str, source: str, target: str
) -> tuple[DeadLetters, list[ConsumerRecord[bytes, bytes]]]:
    """Publish bad records to `source`, read them back, and dead-letter each as the worker does."""
    bad = _bad_records()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * OVERSIZED)
    await producer.start()
    try:
        for key, value in bad:
            await producer.send_and_wait(source, value, key=key)
        records = await read_topic(bootstrap, source, len(bad))
        dead = DeadLetters(ProducerSink(producer, target), summary_every=2)
        for record in records:
            try:
                codec.decode(record.value or b"", max_record_bytes=RECORD_LIMIT)
            except codec.DecodeError as error:
                await dead.send(record, error.kind, error.reason)
            else:
                raise AssertionError(f"{record.key!r} decoded, but it is bad input")
    finally:
        await producer.stop()
    return dead, records


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(main, ["deadletters", *args])
    assert result.exit_code == 0, result.output
    return result


def test_deadletters_lists_what_the_decoder_refused(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    source, target = f"{topic_prefix}.exchanges", f"{topic_prefix}.deadletter"
    # Three dead-letter partitions: the listing merges them in time order.
    asyncio.run(_create_topics(kafka_bootstrap, {source: 1, target: 3}))
    dead, records = asyncio.run(_dead_letter_bad_input(kafka_bootstrap, source, target))
    where = ["--bootstrap", kafka_bootstrap, "--topic", target]

    listed = orjson.loads(_invoke(*where, "--json").output)

    assert listed["counts"] == dict(dead.counts)
    assert sum(listed["counts"].values()) == len(records) == 6
    assert set(listed["counts"]) >= {"empty", "bad_marker", "unknown_schema", "too_large"}
    by_key = {d["key"]: d for d in listed["deadletters"]}
    for record in records:
        letter = by_key[record.key.decode()]
        assert letter["source"] == f"{source}/{record.partition}/{record.offset}"
        assert letter["size"] == len(record.value or b"")
        assert letter["reason"]
    big = by_key["r-big"]
    assert big["failure"] == "too_large" and big["truncated"] is True
    assert str(OVERSIZED) in big["reason"]
    assert by_key["r-empty"]["failure"] == "empty"

    # The table says the same, in words.
    text = _invoke(*where).output
    for letter in listed["deadletters"]:
        assert letter["reason"] in text
    assert "per failure:" in text
    for code, n in listed["counts"].items():
        assert any(line.split() == [code, str(n)] for line in text.splitlines())

    # --limit keeps the newest, the counts still cover everything.
    limited = orjson.loads(_invoke(*where, "--json", "--limit", "2").output)
    assert [d["key"] for d in limited["deadletters"]] == [
        d["key"] for d in listed["deadletters"][-2:]
    ]
    assert limited["counts"] == listed["counts"]

    # --since: a window that holds them all, and one that starts after the last.
    assert orjson.loads(_invoke(*where, "--json", "--since", "1h").output) == listed
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    after = orjson.loads(_invoke(*where, "--json", "--since", later).output)
    assert after == {"deadletters": [], "counts": {}}


def test_deadletters_on_a_topic_that_does_not_exist(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}.nothing-here"
    result = _invoke("--bootstrap", kafka_bootstrap, "--topic", topic)
    assert f"no dead letters in {topic}" in result.output
    assert orjson.loads(
        _invoke("--bootstrap", kafka_bootstrap, "--topic", topic, "--json").output
    ) == {"deadletters": [], "counts": {}}


def test_deadletters_names_an_unreachable_broker() -> None:
    # Port 1 on the loopback interface: nothing listens there, the refusal is immediate.
    result = CliRunner().invoke(main, ["deadletters", "--bootstrap", "127.0.0.1:1"])
    assert result.exit_code == 1
    assert "cannot reach Kafka at 127.0.0.1:1" in result.output
    assert "KAFKA_BOOTSTRAP_SERVERS" in result.output


def test_bad_since_is_refused() -> None:
    result = CliRunner().invoke(main, ["deadletters", "--since", "yesterday-ish"])
    assert result.exit_code == 2
    assert "--since" in result.output
