"""The Avro codec: round trips, the wire header, and every class of decode failure."""

from __future__ import annotations

import io
import json
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams import codec
from streams.codec import DecodeError, EncodeError, decode, encode
from streams.exchange import SIDES, Exchange

# --- an independent CRC-64-AVRO and Parsing Canonical Form, from the Avro spec -------------

_EMPTY = 0xC15D213AA4D7A795


def _crc64_avro(data: bytes) -> int:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY if fp & 1 else 0)
        table.append(fp)
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


_PCF_KEYS = ("name", "type", "fields", "symbols", "items", "values", "size")


def _canonical(schema: Any, namespace: str | None = None) -> str:
    """Parsing Canonical Form for the constructs the Exchange schema uses."""
    if isinstance(schema, str):
        return json.dumps(schema)
    if isinstance(schema, list):
        return "[" + ",".join(_canonical(s, namespace) for s in schema) + "]"
    if schema["type"] in ("record", "enum", "fixed"):
        namespace = schema.get("namespace", namespace)
    elif "logicalType" in schema or set(schema) == {"type"}:
        return json.dumps(schema["type"])
    parts = []
    for key in _PCF_KEYS:
        if key not in schema:
            continue
        value = schema[key]
        if key == "name" and "." not in value and namespace:
            value = f"{namespace}.{value}"
        if key == "fields":
            fields = [
                '{"name":'
                + json.dumps(f["name"])
                + ',"type":'
                + _canonical(f["type"], namespace)
                + "}"
                for f in value
            ]
            rendered = "[" + ",".join(fields) + "]"
        elif key in ("type", "items", "values"):
            rendered = _canonical(value, namespace)
        else:
            rendered = json.dumps(value, separators=(",", ":"))
        parts.append(f'"{key}":{rendered}')
    return "{" + ",".join(parts) + "}"


def test_canonical_form_matches_the_spec() -> None:
    assert _canonical(codec.SCHEMA_JSON) == codec.CANONICAL_FORM
    assert '"doc"' not in codec.CANONICAL_FORM and '"default"' not in codec.CANONICAL_FORM


@pytest.mark.parametrize(
    ("canonical", "expected"),
    # Fingerprints from the Avro project's schema test data (as signed longs).
    [
        (b'"null"', 7195948357588979594),
        (b'"boolean"', -6970731678124411036),
        (b'"int"', 8247732601305521295),
    ],
)
def test_crc64_avro_reference_vectors(canonical: bytes, expected: int) -> None:
    assert _crc64_avro(canonical) == expected % 2**64


def test_single_object_header_is_marker_plus_little_endian_fingerprint() -> None:
    expected = _crc64_avro(codec.CANONICAL_FORM.encode()).to_bytes(8, "little")
    assert expected == codec.FINGERPRINT
    data = encode(_exchange())
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == expected


def test_confluent_header_is_magic_zero_and_big_endian_id() -> None:
    data = encode(_exchange(), framing="confluent", schema_id=258)
    assert data[:5] == b"\x00\x00\x00\x01\x02"
    assert data[5:] == encode(_exchange())[10:]
    assert decode(data, schema_id=258) == _exchange()


# --- round trips ------------------------------------------------------------------------------


def _exchange(**changes: Any) -> Exchange:
    base = Exchange(
        request_id="req-1",
        side="primary",
        endpoint="GET /users/{id}",
        method="GET",
        path="/users/42",
        started_at=datetime(2025, 1, 6, 9, 0, 0, 125000, tzinfo=UTC),
        status=200,
        query="full=1",
        request_headers={"accept": "application/json"},
        response_headers={"content-type": "application/json"},
        response_body=b'{"id":42}',
        content_type="application/json",
        latency_ms=12.5,
        backend_version="v1",
    )
    return Exchange(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


_text = st.text(max_size=20)
_header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)
_millis = st.integers(min_value=0, max_value=4_102_444_800_000)  # 1970 .. 2100

exchanges = st.builds(
    Exchange,
    request_id=st.text(min_size=1, max_size=40),
    side=st.sampled_from(SIDES),
    endpoint=_text,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=_text,
    started_at=_millis.map(
        lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    ),
    status=st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1),
    query=_text,
    request_headers=st.dictionaries(_header_names, _text, max_size=4),
    request_body=st.binary(max_size=64),
    response_headers=st.dictionaries(_header_names, _text, max_size=4),
    response_body=st.binary(max_size=256),
    content_type=st.none() | _text,
    latency_ms=st.none() | st.floats(allow_nan=False),
    backend_version=st.none() | _text,
    error=st.none() | st.sampled_from(["timeout", "connection refused"]),
)


@settings(max_examples=300, deadline=None)
@given(exchanges, st.sampled_from(["single-object", "confluent"]))
def test_round_trip(exchange: Exchange, framing: codec.Framing) -> None:
    data = encode(exchange, framing=framing, schema_id=7)
    assert decode(data, schema_id=7) == exchange
    assert decode(data, framing=framing, schema_id=7) == exchange


def test_decode_gives_utc_datetime_and_lower_case_headers() -> None:
    exchange = _exchange(
        request_headers={"X-Request-ID": "abc", "Accept": "x"},
        response_headers={"Content-Type": "text/plain"},
    )
    decoded = decode(encode(exchange))
    assert decoded.started_at.tzinfo is not None
    assert decoded.started_at.utcoffset() == timedelta(0)
    assert decoded.started_at == exchange.started_at
    assert dict(decoded.request_headers) == {"x-request-id": "abc", "accept": "x"}
    assert dict(decoded.response_headers) == {"content-type": "text/plain"}


def test_sub_millisecond_precision_is_dropped() -> None:
    moment = datetime(2025, 1, 6, 9, 0, 0, 125999, tzinfo=UTC)
    decoded = decode(encode(_exchange(started_at=moment)))
    assert decoded.started_at == moment.replace(microsecond=125000)


# --- every decode failure has its own reason ----------------------------------------------------

_GOOD = encode(_exchange())
_HEADER = _GOOD[:10]


def _varint(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag > 0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


_RID = _varint(5) + b"req-1"

CASES: list[tuple[str, bytes, dict[str, Any], str, str]] = [
    ("empty", b"", {}, "empty", "empty record"),
    ("bad first byte", b"\x7f" + _GOOD[1:], {}, "bad_marker", "bad marker 7f"),
    ("bad second byte", b"\xc3\x02" + _GOOD[2:], {}, "bad_marker", "expected c3 01"),
    ("confluent when single-object required", b"\x00" + _GOOD[1:],
     {"framing": "single-object"}, "bad_marker", "single-object"),
    ("single-object when confluent required", _GOOD, {"framing": "confluent"}, "bad_marker",
     "Confluent"),
    ("short header", _GOOD[:6], {}, "undecodable", "truncated single-object header"),
    ("unknown fingerprint", b"\xc3\x01" + b"\x00" * 8 + _GOOD[10:], {}, "unknown_schema",
     "unknown schema fingerprint 0000000000000000"),
    ("confluent, no id configured", b"\x00" + struct.pack(">I", 9) + _GOOD[10:], {},
     "unknown_schema", "no schema id is configured"),
    ("confluent, other id", b"\x00" + struct.pack(">I", 9) + _GOOD[10:], {"schema_id": 3},
     "unknown_schema", "unknown schema id 9"),
    ("truncated datum", _GOOD[:-3], {}, "undecodable", "truncated Avro data"),
    ("header only", _HEADER, {}, "undecodable", "truncated Avro data"),
    ("trailing bytes", _GOOD + b"\x00\x00", {}, "undecodable", "2 unexpected bytes"),
    ("unknown side", _HEADER + _RID + _varint(7) + _GOOD[10 + len(_RID) + 1 :], {}, "invalid",
     "unknown side: enum index 7"),
    ("empty request id", _HEADER + _varint(0) + _GOOD[10 + len(_RID) :], {}, "invalid",
     "request_id is empty"),
    ("bad utf-8", _HEADER + _varint(2) + b"\xff\xfe" + _GOOD[10 + len(_RID) :], {},
     "undecodable", "not valid UTF-8"),
    ("too large", _GOOD, {"max_record_bytes": 20}, "too_large",
     f"record of {len(_GOOD)} bytes exceeds the limit of 20 bytes"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "options", "kind", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decode_error_reasons(data: bytes, options: dict[str, Any], kind: str, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(data, **options)
    assert caught.value.kind == kind
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_size_limit_is_checked_before_decoding() -> None:
    # Garbage past the limit is reported as too large, not as undecodable.
    with pytest.raises(DecodeError) as caught:
        decode(b"\xc3\x01" + b"\xff" * 100, max_record_bytes=50)
    assert caught.value.kind == "too_large"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_bytes_raise_only_decode_error(tail: bytes) -> None:
    for data in (tail, _HEADER + tail, _GOOD[: len(_GOOD) // 2] + tail):
        try:
            decode(data)
        except DecodeError as error:
            assert error.reason


def test_encode_rejects_values_outside_the_schema() -> None:
    with pytest.raises(EncodeError, match="unknown side"):
        encode(_exchange(side="tertiary"))
    with pytest.raises(EncodeError, match="request_id is empty"):
        encode(_exchange(request_id=""))
    with pytest.raises(EncodeError, match="does not fit the schema"):
        encode(_exchange(status="200"))
    with pytest.raises(ValueError, match="schema_id"):
        encode(_exchange(), framing="confluent")


# --- a body published by digest alone ------------------------------------------------------------


def test_a_response_digest_travels_as_the_reserved_header() -> None:
    big = _exchange(response_body=b"x" * 1000).within(100)
    assert big.response_digest is not None and not big.response_body
    data = encode(big)
    record = codec.schemaless_reader(io.BytesIO(data[10:]), codec.PARSED_SCHEMA, None)
    assert isinstance(record, dict)
    assert record["response_headers"][codec.DIGEST_HEADER] == big.response_digest
    back = decode(data)
    assert back == big  # digest restored, the header gone
    assert codec.DIGEST_HEADER not in back.response_headers


def test_a_digest_header_beside_a_body_is_dropped_and_the_body_kept() -> None:
    odd = _exchange(response_headers={codec.DIGEST_HEADER: "ab" * 32})
    back = decode(encode(odd))
    assert back.response_digest is None
    assert back.response_body == odd.response_body
    assert dict(back.response_headers) == {}
