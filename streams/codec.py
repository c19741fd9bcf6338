"""Avro encoding of `Exchange` records, as they travel on Kafka.

The schema is `streams/schema/exchange.avsc`, parsed once at import. A record on
the wire is one schemaless Avro datum behind a small header that names the
schema, in one of two framings (`Framing`):

- ``single-object`` (default): the Avro specification's single-object encoding,
  ``C3 01`` followed by the 8-byte little-endian CRC-64-AVRO fingerprint of the
  schema's Parsing Canonical Form. Needs no registry: the fingerprint alone
  identifies the schema.
- ``confluent``: Confluent Schema Registry framing, byte ``00`` followed by the
  4-byte big-endian schema id the registry assigned. The id is given by the
  caller (registration is outside this module).

Records written with another schema than the Exchange schema (a gateway ahead
of or behind this version) are read when the `SchemaBook` passed to `decode`
knows their schema by fingerprint or id and Avro's resolution rules make it
readable (see `streams.schemas`).

`decode` never lets a library exception through: every failure is a
`DecodeError` whose `reason` says what was wrong in words fit for a dead-letter
record, and whose `kind` is a short stable code for counting them.

Limits, so that hostile input costs bounded memory and time: a record past
`max_record_bytes` is refused before any decoding (fastavro then never reads a
length prefix larger than the record itself), and a response body past
`max_body_bytes` is not kept: the `Exchange` carries its SHA-256 in
`response_digest` and an empty body, so the join holds a few bytes for it and
the comparator judges it by digest (`too_large` when the digests differ).

A publisher that will not carry a large body at all (the proxy, past its own
limit) sends it empty with its hex SHA-256 in the reserved response header
`DIGEST_HEADER`; `encode` writes that header for an `Exchange` whose
`response_digest` is set, and decoding turns it back into `response_digest`
(the header itself is dropped), so the worker judges it as if it had cut the body.
"""

from __future__ import annotations

import copy
import io
import struct
from datetime import UTC, datetime
from typing import Any, Final, Literal

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import to_parsing_canonical_form

from streams.exchange import SIDES, Exchange
from streams.schemas import (
    READER_SCHEMA,
    READER_SCHEMA_JSON,
    SchemaBook,
    WriterSchema,
    fingerprint_of,
)

Framing = Literal["single-object", "confluent"]
"""How a record names its schema on the wire: ``single-object`` (Avro spec,
marker C3 01 + schema fingerprint; the default) or ``confluent`` (magic byte 0 +
registry schema id)."""

DecodeFailure = Literal[
    "empty",
    "bad_marker",
    "unknown_schema",
    "incompatible_schema",
    "too_large",
    "undecodable",
    "invalid",
]
"""Stable short codes for the classes of decode failure (for counters and
dead-letter headers); `DecodeError.reason` carries the details."""

DEFAULT_MAX_RECORD_BYTES: Final = 64 * 1024 * 1024
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""Response bodies larger than this are kept as a digest only (see the module docstring)."""

SCHEMA_JSON: Final[dict[str, Any]] = READER_SCHEMA_JSON
"""The schema as written in the .avsc file."""

PARSED_SCHEMA: Final = READER_SCHEMA
"""The schema parsed by fastavro, once."""

CANONICAL_FORM: Final[str] = to_parsing_canonical_form(SCHEMA_JSON)
"""The schema's Parsing Canonical Form (Avro spec), the input of its fingerprint."""

FINGERPRINT: Final[bytes] = fingerprint_of(SCHEMA_JSON)
"""8-byte CRC-64-AVRO fingerprint of `CANONICAL_FORM`, in wire (little-endian) order."""

SINGLE_OBJECT_MARKER: Final = b"\xc3\x01"
_SINGLE_OBJECT_HEADER: Final = SINGLE_OBJECT_MARKER + FINGERPRINT
DIGEST_HEADER: Final = "shadowdiff-response-sha256"
"""Reserved response header: the hex SHA-256 of a response body published empty."""

_CONFLUENT_MAGIC: Final = 0
_CONFLUENT_HEADER = struct.Struct(">bI")


class DecodeError(ValueError):
    """A record that cannot become an `Exchange`; `reason` says why, for humans."""

    def __init__(self, reason: str, kind: DecodeFailure) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: DecodeFailure = kind


class SchemaNeeded(DecodeError):
    """A Confluent-framed record whose schema id the registry has not been asked for yet.

    The caller fetches it (`streams.registry.learn`) and decodes again.
    """

    def __init__(self, schema_id: int) -> None:
        super().__init__(
            f"schema id {schema_id} is not fetched from the registry yet", "unknown_schema"
        )
        self.schema_id = schema_id


class EncodeError(ValueError):
    """An `Exchange` whose values do not fit the schema (e.g. an unknown side)."""


def to_record(exchange: Exchange) -> dict[str, Any]:
    """The Avro datum for `exchange` (shares the header mappings, copies nothing).

    A `response_digest` travels as the `DIGEST_HEADER` response header.
    """
    response_headers = exchange.response_headers
    if exchange.response_digest is not None and not exchange.response_body:
        response_headers = {**response_headers, DIGEST_HEADER: exchange.response_digest}
    return {
        "request_id": exchange.request_id,
        "side": exchange.side,
        "endpoint": exchange.endpoint,
        "method": exchange.method,
        "path": exchange.path,
        "query": exchange.query,
        "request_headers": exchange.request_headers,
        "request_body": exchange.request_body,
        "status": exchange.status,
        "response_headers": response_headers,
        "response_body": exchange.response_body,
        "content_type": exchange.content_type,
        "started_at": exchange.started_at,
        "latency_ms": exchange.latency_ms,
        "backend_version": exchange.backend_version,
        "error": exchange.error,
    }


def _lower_keys(headers: dict[str, str]) -> dict[str, str]:
    # Most gateways already send lower-case names; skip the copy then.
    for name in headers:
        if not name.islower() and name != name.lower():
            return {k.lower(): v for k, v in headers.items()}
    return headers


def from_record(record: dict[str, Any], *, max_body_bytes: int | None = None) -> Exchange:
    """The `Exchange` for a decoded Avro datum; raises `DecodeError` ("invalid").

    Checks what Avro itself cannot: a non-empty request id, a known side, and a
    timezone-aware `started_at` (converted to UTC). A response body longer than
    `max_body_bytes` (None: no limit) is replaced by its digest.
    """
    request_id = record["request_id"]
    if not request_id:
        raise DecodeError("request_id is empty", "invalid")
    side = record["side"]
    if side not in SIDES:
        raise DecodeError(f"unknown side {side!r} (expected one of {', '.join(SIDES)})", "invalid")
    started_at = record["started_at"]
    if not isinstance(started_at, datetime):
        raise DecodeError(f"started_at is not a timestamp: {started_at!r}", "invalid")
    if started_at.tzinfo is None:
        started_at = started_at.replace(tzinfo=UTC)
    elif started_at.utcoffset():
        started_at = started_at.astimezone(UTC)
    response_headers = _lower_keys(record["response_headers"])
    digest = None
    if DIGEST_HEADER in response_headers:
        response_headers = dict(response_headers)
        digest = response_headers.pop(DIGEST_HEADER)
        if record["response_body"]:
            digest = None  # the body itself is here; the header adds nothing
    return Exchange(
        request_id=request_id,
        side=side,
        endpoint=record["endpoint"],
        method=record["method"],
        path=record["path"],
        started_at=started_at,
        status=record["status"],
        query=record["query"],
        request_headers=_lower_keys(record["request_headers"]),
        request_body=record["request_body"],
        response_headers=response_headers,
        response_body=record["response_body"],
        content_type=record["content_type"],
        latency_ms=record["latency_ms"],
        backend_version=record["backend_version"],
        error=record["error"],
        response_digest=digest,
    ).within(max_body_bytes)


def _read_long(data: bytes, pos: int) -> tuple[int, int]:
    """One zig-zag varint (Avro int/long) at `pos`: (value, next position)."""
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def _out_of_range_reason(data: bytes, offset: int) -> str:
    """Which index was out of range; only called on the error path."""
    try:
        length, pos = _read_long(data, offset)  # request_id, then the side enum
        index, _ = _read_long(data, pos + length)
    except IndexError:
        index = 0
    if not 0 <= index < len(SIDES):
        return f"unknown side: enum index {index} (the schema has {', '.join(SIDES)})"
    return "a union branch index is out of range (status, content_type, latency_ms, ...)"


# (writer, how to read it): None, the writer is the reader; a tuple, read with the
# writer alone and fill in these (field, default) pairs; else the reader to resolve to.
_Schemas = tuple[Any, Any]


def _resolved(known: WriterSchema, named: str) -> _Schemas:
    if known.problems:
        raise DecodeError(known.refusal(named), "incompatible_schema")
    if known.fingerprint == FINGERPRINT:
        return PARSED_SCHEMA, None
    if known.defaults is not None:
        return known.parsed, known.defaults
    return known.parsed, PARSED_SCHEMA


def _by_fingerprint(found: bytes, schemas: SchemaBook | None) -> _Schemas:
    if found == FINGERPRINT:
        return PARSED_SCHEMA, None
    known = schemas.by_fingerprint(found) if schemas is not None else None
    if known is None:
        knows = schemas.known() if schemas is not None else f"fingerprint {FINGERPRINT.hex()}"
        raise DecodeError(
            f"unknown schema fingerprint {found.hex()}: neither a released Exchange schema "
            f"nor one in SCHEMA_DIR (this reader knows {knows})",
            "unknown_schema",
        )
    return _resolved(known, f"fingerprint {found.hex()}")


def _by_id(found: int, schema_id: int | None, schemas: SchemaBook | None) -> _Schemas:
    if found == schema_id:
        return PARSED_SCHEMA, None
    known = schemas.by_id(found) if schemas is not None else None
    if isinstance(known, WriterSchema):
        return _resolved(known, f"id {found}")
    if isinstance(known, str):
        raise DecodeError(f"unknown schema id {found}: {known}", "unknown_schema")
    if schemas is not None and schemas.registry_url is not None:
        raise SchemaNeeded(found)
    if schema_id is None and schemas is None:
        raise DecodeError(
            f"Confluent-framed record with schema id {found}, but no schema id is configured "
            f"(set CONFLUENT_SCHEMA_ID, or SCHEMA_REGISTRY_URL to fetch schemas by id)",
            "unknown_schema",
        )
    knows = schemas.known() if schemas is not None else f"registry id {schema_id}"
    raise DecodeError(
        f"unknown schema id {found} (this reader knows {knows}; "
        f"set SCHEMA_REGISTRY_URL to fetch schemas by id)",
        "unknown_schema",
    )


def confluent_header(schema_id: int) -> bytes:
    """The 5-byte Confluent framing header for `schema_id`."""
    return _CONFLUENT_HEADER.pack(_CONFLUENT_MAGIC, schema_id)


def encode(
    exchange: Exchange, *, framing: Framing = "single-object", schema_id: int | None = None
) -> bytes:
    """`exchange` as one framed Avro record; `schema_id` is required for ``confluent``.

    `started_at` travels as whole milliseconds (timestamp-millis): finer
    precision is dropped. Raises `EncodeError` when a value does not fit the schema.
    """
    if framing == "single-object":
        header = _SINGLE_OBJECT_HEADER
    elif framing == "confluent":
        if schema_id is None:
            raise ValueError("confluent framing needs the registry's schema_id")
        header = confluent_header(schema_id)
    else:
        raise ValueError(f"unknown framing {framing!r}")
    if exchange.side not in SIDES:
        raise EncodeError(f"unknown side {exchange.side!r} (expected one of {', '.join(SIDES)})")
    if not exchange.request_id:
        raise EncodeError("request_id is empty")
    out = io.BytesIO()
    out.write(header)
    try:
        schemaless_writer(out, PARSED_SCHEMA, to_record(exchange))
    except (TypeError, ValueError, AttributeError, OverflowError, struct.error) as exc:
        raise EncodeError(
            f"exchange {exchange.request_id!r} does not fit the schema: {exc}"
        ) from exc
    return out.getvalue()


def decode(
    data: bytes,
    *,
    framing: Framing | None = None,
    schema_id: int | None = None,
    schemas: SchemaBook | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
) -> Exchange:
    """The `Exchange` in one framed record, or `DecodeError` saying why not.

    `framing` None accepts either framing, told apart by the first byte.
    A record written with the Exchange schema itself (its fingerprint, or the
    Confluent id `schema_id`) is read directly; one written with another schema
    is read through Avro's schema resolution when `schemas` knows that schema
    (by fingerprint or id) and it is readable, and is refused otherwise
    ("unknown_schema", "incompatible_schema"). `SchemaNeeded` asks the caller
    to fetch an id's schema from the registry first.
    The record size limit is checked before any decoding work; a response body
    past `max_body_bytes` (None: no limit) is kept as its digest only.
    """
    size = len(data)
    if size == 0:
        raise DecodeError("empty record (0 bytes)", "empty")
    if size > max_record_bytes:
        raise DecodeError(
            f"record of {size} bytes exceeds the limit of {max_record_bytes} bytes", "too_large"
        )
    first = data[0]
    if first == 0xC3 and framing != "confluent":
        if size < 10:
            raise DecodeError(
                f"truncated single-object header: {size} bytes, need at least 10", "undecodable"
            )
        if data[1] != 0x01:
            raise DecodeError(
                f"bad marker {data[:2].hex(' ')}: expected c3 01 (Avro single-object encoding)",
                "bad_marker",
            )
        writer, reader = _by_fingerprint(data[2:10], schemas)
        offset = 10
    elif first == _CONFLUENT_MAGIC and framing != "single-object":
        if size < 5:
            raise DecodeError(
                f"truncated Confluent header: {size} bytes, need at least 5", "undecodable"
            )
        writer, reader = _by_id(int.from_bytes(data[1:5], "big"), schema_id, schemas)
        offset = 5
    else:
        expected = {
            None: "c3 01 (single-object) or 00 (Confluent)",
            "single-object": "c3 01 (Avro single-object encoding)",
            "confluent": "00 (Confluent framing)",
        }[framing]
        raise DecodeError(f"bad marker {data[:2].hex(' ')}: expected {expected}", "bad_marker")
    body = io.BytesIO(data)
    body.seek(offset)
    try:
        if isinstance(reader, tuple):
            record = schemaless_reader(body, writer, None)
            for name, default in reader:
                record[name] = copy.copy(default)  # type: ignore[index]
        else:
            record = schemaless_reader(body, writer, reader)
    except (EOFError, StopIteration) as exc:
        raise DecodeError(
            f"truncated Avro data after {body.tell()} of {size} bytes", "undecodable"
        ) from exc
    except IndexError as exc:
        # fastavro indexes enum symbols and union branches directly.
        raise DecodeError(_out_of_range_reason(data, offset), "invalid") from exc
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"a string field is not valid UTF-8: {exc.reason}", "undecodable"
        ) from exc
    except (ValueError, TypeError, OverflowError, MemoryError, struct.error) as exc:
        raise DecodeError(
            f"undecodable Avro data: {type(exc).__name__}: {exc}", "undecodable"
        ) from exc
    if not isinstance(record, dict):
        raise DecodeError("Avro datum is not a record", "undecodable")
    end = body.tell()
    if end != size:
        raise DecodeError(
            f"{size - end} unexpected bytes after the record (decoded {end} of {size})",
            "undecodable",
        )
    return from_record(record, max_body_bytes=max_body_bytes)
