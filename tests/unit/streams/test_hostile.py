"""Hostile records: every one becomes a `DecodeError` or a bounded `Exchange`, never a crash."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from comparator import Kind, Verdict, compare
from streams import codec
from streams.deadletter import (
    FAILURE_HEADER,
    MAX_DEAD_LETTER_BYTES,
    ORIGINAL_BYTES_HEADER,
    REASON_HEADER,
    SOURCE_HEADER,
    DeadLetters,
    parse_dead_letter,
)
from streams.exchange import Exchange

MB = 1024 * 1024
HEADER = codec.SINGLE_OBJECT_MARKER + codec.FINGERPRINT
AT = datetime(2024, 6, 1, 12, tzinfo=UTC)


def exchange(body: bytes, side: Any = "primary") -> Exchange:
    return Exchange("r1", side, "GET /x", "GET", "/x", AT, 200, response_body=body)


def zigzag(n: int) -> bytes:
    """An Avro long."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if not n:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def string(text: bytes) -> bytes:
    return zigzag(len(text)) + text


# request_id, side (enum 0), endpoint, method, path, query: a valid prefix of a record.
PREFIX = HEADER + string(b"r1") + zigzag(0) + string(b"e") + string(b"GET") + string(b"/")
PREFIX += string(b"")


# --- the body-size limit ---------------------------------------------------------------


def test_body_past_the_limit_is_kept_as_its_digest() -> None:
    body = b'{"blob": "' + b"x" * (50 * MB) + b'"}'
    decoded = codec.decode(codec.encode(exchange(body)))
    assert decoded.response_body == b""
    assert decoded.response_digest == hashlib.sha256(body).hexdigest()
    assert decoded.observation().body_digest == decoded.response_digest
    assert decoded.observation().body == b""


def test_body_at_the_limit_is_kept() -> None:
    body = b"y" * 1000
    kept = codec.decode(codec.encode(exchange(body)), max_body_bytes=1000)
    assert (kept.response_body, kept.response_digest) == (body, None)
    cut = codec.decode(codec.encode(exchange(body)), max_body_bytes=999)
    assert (cut.response_body, cut.response_digest) == (b"", hashlib.sha256(body).hexdigest())
    unlimited = codec.decode(codec.encode(exchange(body)), max_body_bytes=None)
    assert unlimited.response_body == body


def test_bodies_past_the_limit_are_judged_by_digest() -> None:
    big = b"[" + b"1," * (5 * MB) + b"1]"
    other = big[:-2] + b"2]"

    def observed(body: bytes, side: str) -> Any:
        return codec.decode(codec.encode(exchange(body, side)), max_body_bytes=MB).observation()

    same = compare(observed(big, "primary"), observed(big, "candidate"))
    assert same.verdict is Verdict.MATCH
    differ = compare(observed(big, "primary"), observed(other, "candidate"))
    assert [(d.path, d.kind) for d in differ.differences] == [("", Kind.TOO_LARGE)]
    # One side past the limit, the other not: still judged by digest, not by walking.
    small_side = codec.decode(codec.encode(exchange(big, "candidate")), max_body_bytes=None)
    mixed = compare(observed(big, "primary"), small_side.observation())
    assert mixed.verdict is Verdict.MATCH


# --- hostile Avro ----------------------------------------------------------------------


HOSTILE = {
    "string length 2^62": PREFIX[:10] + zigzag(2**62),
    "negative string length": PREFIX[:10] + zigzag(-5) + b"abc",
    "map count 2^40": PREFIX + zigzag(2**40) + string(b"k") + string(b"v"),
    "negative map count": PREFIX + zigzag(-(2**40)) + zigzag(10) + string(b"k"),
    "endless varint": PREFIX[:10] + b"\xff" * 4096,
    "enum index 2^31": PREFIX[:10] + string(b"r1") + zigzag(2**31),
    "invalid UTF-8 in a string": PREFIX[:10] + string(b"\xff\xfe"),
    "header only": HEADER,
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_record_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(codec.DecodeError) as caught:
        codec.decode(data)
    assert caught.value.kind in ("undecodable", "invalid")
    assert caught.value.reason


def test_record_past_the_limit_is_refused_before_decoding() -> None:
    # Garbage after a valid header: refused for its size, not for its content.
    data = HEADER + b"\xff" * 2000
    with pytest.raises(codec.DecodeError) as caught:
        codec.decode(data, max_record_bytes=1000)
    assert caught.value.kind == "too_large"
    assert "2010 bytes" in caught.value.reason


def test_random_bytes_never_escape_as_anything_but_decode_error() -> None:
    rng = random.Random(8)
    valid = codec.encode(exchange(b'{"a": 1}'))
    began = time.perf_counter()
    outcomes: dict[str, int] = {}
    for _ in range(3000):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):  # flip bytes after the header
            data[rng.randrange(10, len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(10, len(data)) :]
        try:
            codec.decode(bytes(data))
            outcomes["decoded"] = outcomes.get("decoded", 0) + 1
        except codec.DecodeError as error:
            outcomes[error.kind] = outcomes.get(error.kind, 0) + 1
    print(f"\n3000 corrupted records in {time.perf_counter() - began:.2f}s: {outcomes}")
    # Corruption past the header must be caught, not only survived.
    assert outcomes.get("undecodable", 0) > 0


# --- dead letters ----------------------------------------------------------------------


@dataclass(slots=True)
class Original:
    """A consumed record as the worker holds it: key, value and where it came from."""

    value: bytes | None
    key: bytes | None = b"k"
    topic: str = "shadowdiff.exchanges"
    partition: int = 2
    offset: int = 7


@dataclass(slots=True)
class Collected:
    """Sends kept in order: the `TopicSink` side of `DeadLetters`, in memory."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, *, key: Any, value: bytes, headers: dict[str, bytes]) -> None:
        self.sent.append({"key": key, "value": value, "headers": headers})


def test_dead_letter_keeps_the_original_and_says_why() -> None:
    sink = Collected()
    dead = DeadLetters(sink)
    asyncio.run(dead.send(Original(b"\x00\x01"), "undecodable", "truncated Avro data"))
    [letter] = sink.sent
    assert letter["key"] == b"k" and letter["value"] == b"\x00\x01"
    assert letter["headers"][FAILURE_HEADER] == b"undecodable"
    assert letter["headers"][REASON_HEADER] == b"truncated Avro data"
    assert letter["headers"][SOURCE_HEADER] == b"shadowdiff.exchanges/2/7"
    parsed = parse_dead_letter(
        timestamp_ms=1_717_243_200_000,
        key=letter["key"],
        value=letter["value"],
        headers=letter["headers"].items(),
    )
    assert (parsed.failure, parsed.reason, parsed.size, parsed.truncated) == (
        "undecodable",
        "truncated Avro data",
        2,
        False,
    )
    assert parsed.timestamp == AT


def test_oversized_original_is_cut_and_its_size_kept() -> None:
    sink = Collected()
    size = MAX_DEAD_LETTER_BYTES * 3
    asyncio.run(DeadLetters(sink).send(Original(b"z" * size), "too_large", "big"))
    [letter] = sink.sent
    assert len(letter["value"]) == MAX_DEAD_LETTER_BYTES
    assert letter["headers"][ORIGINAL_BYTES_HEADER] == str(size).encode()
    parsed = parse_dead_letter(
        timestamp_ms=0, key=None, value=letter["value"], headers=letter["headers"].items()
    )
    assert (parsed.size, parsed.kept, parsed.truncated) == (size, MAX_DEAD_LETTER_BYTES, True)


def test_a_record_without_our_headers_still_reads() -> None:
    parsed = parse_dead_letter(
        timestamp_ms=0,
        key=None,
        value=None,
        headers=[(ORIGINAL_BYTES_HEADER, b"lots"), (REASON_HEADER, b"\xff\xfe")],
    )
    assert (parsed.failure, parsed.source, parsed.size) == ("unknown", "", 0)
    assert parsed.reason == "\ufffd\ufffd"


def test_counts_per_failure_and_a_summary_line(caplog: pytest.LogCaptureFixture) -> None:
    dead = DeadLetters(Collected(), summary_every=3)

    async def run() -> None:
        for failure in ["invalid"] * 7 + ["empty"] * 2:
            await dead.send(Original(b"x"), failure, "why")

    with caplog.at_level(logging.DEBUG, logger="shadowdiff.deadletter"):
        asyncio.run(run())
    assert dict(dead.counts) == {"invalid": 7, "empty": 2}
    assert dead.summary() == "invalid=7 empty=2"
    summaries = [r.getMessage() for r in caplog.records if "so far" in r.getMessage()]
    assert summaries == ["dead letters so far: invalid=3", "dead letters so far: invalid=6"]
    # Past `summary_every` per code, single letters drop to DEBUG.
    single = [r for r in caplog.records if r.getMessage().startswith("dead letter (invalid)")]
    assert [r.levelno for r in single] == [logging.WARNING] * 3 + [logging.DEBUG] * 4
