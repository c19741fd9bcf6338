"""Capture files: exchanges at rest, for replay, demos and tests.

Two formats, chosen by the file's extension or an explicit `CaptureFormat`:

**JSON Lines** (``.jsonl``, ``.ndjson``): one exchange per line, a JSON object
with the field names of the Avro schema (`streams/schema/exchange.avsc`).

- ``request_id``, ``side``, ``endpoint``, ``method``, ``path`` and
  ``started_at`` are required; every other field may be omitted (its schema
  default applies: empty query, headers and bodies; null status, content type,
  latency, backend version and error).
- ``started_at`` is ISO-8601 text, e.g. ``"2025-01-06T09:00:00.125Z"``; a time
  without a UTC offset is read as UTC.
- ``request_body`` and ``response_body`` are UTF-8 text, or, for bytes that are
  not UTF-8, an object ``{"base64": "<standard base64>"}``. For hand-written
  captures a body may also be given as a JSON object or array; it is stored as
  its compact serialisation.
- Header names are read as lower-case. Blank lines are skipped.

**Avro object container files** (``.avro``): records of the Exchange schema,
written with fastavro; the same schema the Kafka records use. Files of every
codec the Avro specification names are read (`AVRO_CODECS`: null, deflate,
bzip2, snappy, xz, zstandard); files are written with `DEFAULT_AVRO_CODEC`
(deflate, which every Avro implementation reads) unless told otherwise.

Reading streams record by record, so captures larger than memory are fine. A
malformed record raises `CaptureError` naming the file, the line (or record)
number and the problem; given `on_skip`, the reader hands it that error instead
and goes on with the next record. An Avro block that cannot be decompressed or
decoded still stops the read: the records after it cannot be found.
"""

from __future__ import annotations

import base64
import binascii
import lzma
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal, get_args

import cramjam
import fastavro
import orjson
from fastavro.schema import to_parsing_canonical_form

from streams import codec
from streams.exchange import SIDES, Exchange

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdError
else:
    from backports.zstd import ZstdError

CaptureFormat = Literal["jsonl", "avro"]
"""On-disk capture format: ``jsonl`` (JSON Lines, human-editable) or ``avro``
(Avro object container file, compact and typed)."""

AvroCodec = Literal["null", "deflate", "bzip2", "snappy", "xz", "zstandard"]
"""Block compression of an Avro object container file, as the Avro specification
names it (``null``: none)."""

AVRO_CODECS: Final[tuple[AvroCodec, ...]] = get_args(AvroCodec)
DEFAULT_AVRO_CODEC: Final[AvroCodec] = "deflate"

# What a damaged block raises, per codec: zlib (deflate), OSError (bzip2),
# LZMAError (xz), cramjam's error (snappy), ZstdError (zstandard).
_BLOCK_ERRORS: Final = (zlib.error, OSError, lzma.LZMAError, cramjam.DecompressionError)
_DECOMPRESSION_ERRORS: Final = (*_BLOCK_ERRORS, ZstdError)

_EXTENSIONS: dict[str, CaptureFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".avro": "avro"}
_REQUIRED_TEXT = ("request_id", "endpoint", "method", "path")
_OPTIONAL_TEXT = ("content_type", "backend_version", "error")


class CaptureError(ValueError):
    """A capture that cannot be read; the message names file, line and problem."""

    def __init__(self, path: Path, line: int | None, problem: str, *, unit: str = "line") -> None:
        # JSON Lines errors read as `file:line: problem`, the form editors jump to.
        if line is None:
            where = str(path)
        elif unit == "line":
            where = f"{path}:{line}"
        else:
            where = f"{path}: {unit} {line}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def capture_format(path: Path, fmt: CaptureFormat | None = None) -> CaptureFormat:
    """`fmt` if given, else the format named by the file's extension."""
    if fmt is not None:
        return fmt
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise CaptureError(
            path, None, "unknown capture format: use a .jsonl or .avro file name"
        ) from None


OnSkip = Callable[["CaptureError"], None]
"""Told of each malformed record a lenient read skips."""


def _opened(path: Path, stream: IO[bytes] | None) -> AbstractContextManager[IO[bytes]]:
    # A stream the caller opened stays the caller's to close.
    return nullcontext(stream) if stream is not None else path.open("rb")


def read_capture(
    path: str | Path,
    fmt: CaptureFormat | None = None,
    *,
    on_skip: OnSkip | None = None,
    stream: IO[bytes] | None = None,
) -> Iterator[Exchange]:
    """The exchanges in a capture file, in file order, read lazily.

    A malformed record raises `CaptureError`, or with `on_skip` is passed to it
    and skipped. `stream`: read from it (a file already open, on any
    filesystem) instead of opening `path`, which then only names the file (its
    format, errors).
    """
    path = Path(path)
    if capture_format(path, fmt) == "avro":
        return _read_avro(path, on_skip, stream)
    return _read_jsonl(path, on_skip, stream)


def _skip_or_raise(error: CaptureError, on_skip: OnSkip | None) -> None:
    if on_skip is None:
        raise error from None
    on_skip(error)


def count_records(
    path: str | Path, fmt: CaptureFormat | None = None, *, stream: IO[bytes] | None = None
) -> int | None:
    """Roughly how many exchanges a capture holds, read without decoding them.

    For progress bars: lines of a JSON Lines file (blank ones included), the
    block counts of an Avro container; None when the file cannot tell.
    `stream` as for `read_capture`.
    """
    path = Path(path)
    with _opened(path, stream) as stream:
        if capture_format(path, fmt) == "jsonl":
            return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        try:
            return sum(block.num_records for block in fastavro.block_reader(stream))
        except (ValueError, EOFError, *_DECOMPRESSION_ERRORS):
            return None  # reading it will say what is wrong


def write_capture(
    path: str | Path,
    exchanges: Iterable[Exchange],
    fmt: CaptureFormat | None = None,
    *,
    avro_codec: AvroCodec = DEFAULT_AVRO_CODEC,
) -> int:
    """Write `exchanges` to `path` (replacing it); returns how many were written.

    `avro_codec` compresses the blocks of an Avro file (JSON Lines ignore it).
    """
    path = Path(path)
    if capture_format(path, fmt) == "avro":
        return _write_avro(path, exchanges, avro_codec)
    count = 0
    with path.open("wb") as out:
        for exchange in exchanges:
            out.write(orjson.dumps(to_json(exchange)))
            out.write(b"\n")
            count += 1
    return count


# --- JSON Lines -----------------------------------------------------------------


def _body_to_json(body: bytes) -> str | dict[str, str]:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _iso(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def to_json(exchange: Exchange) -> dict[str, Any]:
    """The JSON Lines object for `exchange`; fields at their defaults are left out."""
    out: dict[str, Any] = {
        "request_id": exchange.request_id,
        "side": exchange.side,
        "endpoint": exchange.endpoint,
        "method": exchange.method,
        "path": exchange.path,
        "started_at": _iso(exchange.started_at),
    }
    if exchange.query:
        out["query"] = exchange.query
    if exchange.request_headers:
        out["request_headers"] = dict(exchange.request_headers)
    if exchange.request_body:
        out["request_body"] = _body_to_json(exchange.request_body)
    if exchange.status is not None:
        out["status"] = exchange.status
    if exchange.response_headers:
        out["response_headers"] = dict(exchange.response_headers)
    if exchange.response_body:
        out["response_body"] = _body_to_json(exchange.response_body)
    for name in ("content_type", "latency_ms", "backend_version", "error"):
        value = getattr(exchange, name)
        if value is not None:
            out[name] = value
    return out


def _body(obj: Mapping[str, Any], name: str) -> bytes:
    value = obj.get(name)
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"}:
        encoded = value["base64"]
        if not isinstance(encoded, str):
            raise ValueError(f"{name}.base64 must be a string")
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"{name}.base64 is not valid base64: {exc}") from None
    if isinstance(value, dict | list):
        return orjson.dumps(value)
    raise ValueError(
        f'{name} must be text, a JSON object or array, or {{"base64": ...}}; '
        f"got {type(value).__name__}"
    )


def _headers(obj: Mapping[str, Any], name: str) -> dict[str, str]:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{name} must be an object of text values")
    return {str(k).lower(): v for k, v in value.items()}


def _optional(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise ValueError(f"{name} has the wrong type ({type(value).__name__}): {value!r}")
    return value


def _started_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"started_at must be ISO-8601 text, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"started_at is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def from_json(obj: object) -> Exchange:
    """The `Exchange` for one JSON Lines object; `ValueError` says what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    for name in (*_REQUIRED_TEXT, "side", "started_at"):
        if name not in obj:
            raise ValueError(f"missing required field {name!r}")
    for name in _REQUIRED_TEXT:
        if not isinstance(obj[name], str):
            raise ValueError(f"{name} must be text, got {obj[name]!r}")
    if not obj["request_id"]:
        raise ValueError("request_id is empty")
    side = obj["side"]
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r} (expected one of {', '.join(SIDES)})")
    latency = _optional(obj, "latency_ms", (int, float))
    query = obj.get("query") or ""
    if not isinstance(query, str):
        raise ValueError(f"query must be text, got {query!r}")
    return Exchange(
        request_id=obj["request_id"],
        side=side,
        endpoint=obj["endpoint"],
        method=obj["method"],
        path=obj["path"],
        started_at=_started_at(obj["started_at"]),
        status=_optional(obj, "status", int),
        query=query,
        request_headers=_headers(obj, "request_headers"),
        request_body=_body(obj, "request_body"),
        response_headers=_headers(obj, "response_headers"),
        response_body=_body(obj, "response_body"),
        content_type=_optional(obj, "content_type", str),
        latency_ms=None if latency is None else float(latency),
        backend_version=_optional(obj, "backend_version", str),
        error=_optional(obj, "error", str),
    )


def _read_jsonl(path: Path, on_skip: OnSkip | None, stream: IO[bytes] | None) -> Iterator[Exchange]:
    with _opened(path, stream) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                exchange = from_json(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                problem = f"not valid JSON: {exc.msg} at character {exc.pos + 1}"
                _skip_or_raise(CaptureError(path, number, problem), on_skip)
                continue
            except ValueError as exc:
                _skip_or_raise(CaptureError(path, number, str(exc)), on_skip)
                continue
            yield exchange


# --- Avro object container files --------------------------------------------------


def _read_avro(path: Path, on_skip: OnSkip | None, source: IO[bytes] | None) -> Iterator[Exchange]:
    with _opened(path, source) as stream:
        try:
            records = fastavro.reader(stream)
            # Resolving against the reader schema costs about 40% of the read; files
            # written with this very schema (all of ours) need none.
            if to_parsing_canonical_form(records.writer_schema) != codec.CANONICAL_FORM:
                stream.seek(0)
                records = fastavro.reader(stream, reader_schema=codec.SCHEMA_JSON)
        except (ValueError, EOFError, fastavro.read.SchemaResolutionError) as exc:
            raise CaptureError(path, None, f"not an Exchange Avro container file: {exc}") from None
        number = 0
        while True:
            number += 1
            try:
                record = next(records)
            except StopIteration:
                return
            except (
                ValueError,
                EOFError,
                IndexError,
                TypeError,
                OverflowError,
                *_DECOMPRESSION_ERRORS,
            ) as exc:
                raise CaptureError(
                    path, number, f"undecodable record: {exc}", unit="record"
                ) from None
            try:
                exchange = codec.from_record(record)  # type: ignore[arg-type]
            except codec.DecodeError as exc:
                _skip_or_raise(CaptureError(path, number, exc.reason, unit="record"), on_skip)
                continue
            yield exchange


def _write_avro(path: Path, exchanges: Iterable[Exchange], avro_codec: AvroCodec) -> int:
    if avro_codec not in AVRO_CODECS:
        raise ValueError(f"unknown Avro codec {avro_codec!r} (expected one of {AVRO_CODECS})")
    count = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal count
        for exchange in exchanges:
            count += 1
            yield codec.to_record(exchange)

    with path.open("wb") as out:
        fastavro.writer(out, codec.PARSED_SCHEMA, records(), codec=avro_codec)
    return count
