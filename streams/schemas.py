"""The writer schemas the worker knows, by fingerprint and by registry id.

A record names the schema it was written with: single-object records by the
schema's CRC-64-AVRO fingerprint, Confluent-framed ones by a registry id. The
worker reads any of them whose schema Avro's resolution rules make readable as
its own Exchange schema (`streams.resolution`): a gateway may add fields with
defaults, drop fields, widen unions, and keep publishing while the worker is
upgraded later, or the other way round.

Where writer schemas come from (`SchemaBook`):

- every released version of the Exchange schema, shipped in
  `streams/schema/history/` (`shipped_schemas`);
- the ``.avsc`` files of a directory (`SCHEMA_DIR`, `schema_directory`), for
  schemas a gateway published before shadowdiff shipped them;
- for Confluent framing, the id of the current schema (`CONFLUENT_SCHEMA_ID`) and
  a schema registry (`SCHEMA_REGISTRY_URL`, `streams.registry`): the schema of an
  unknown id is fetched once, on its first record, and kept.

Each schema is parsed and checked against the reader once, when it becomes
known; a record then costs a dictionary lookup. A schema that cannot be read
keeps its reasons, which every dead letter of its records carries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from fastavro import parse_schema
from fastavro.schema import SchemaParseException, fingerprint, to_parsing_canonical_form

from streams.resolution import incompatibilities

READER_SCHEMA_JSON: Final[dict[str, Any]] = json.loads(
    resources.files("streams").joinpath("schema/exchange.avsc").read_text(encoding="utf-8")
)
"""The Exchange schema this version of shadowdiff reads (and writes)."""

READER_SCHEMA: Final[Any] = parse_schema(READER_SCHEMA_JSON)

HISTORY: Final = "schema/history"
"""Where every released version of the Exchange schema is kept, inside the package."""

FAILED_FETCH_RETRY_S: Final = 30.0
"""How long a registry's failure to give an id's schema stands before it is asked again."""


MAX_FAILED_IDS: Final = 10_000
"""Failed ids remembered at most; past it the oldest failure is forgotten first."""


class SchemaFileError(ValueError):
    """A schema file that is not an Avro schema; the message names the file."""


def fingerprint_of(schema: Any) -> bytes:
    """The 8-byte CRC-64-AVRO fingerprint of `schema`, in wire (little-endian) order."""
    # fastavro renders the fingerprint as the hex of the little-endian bytes,
    # which is the byte order single-object encoding puts on the wire.
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(schema), "CRC-64-AVRO"))


@dataclass(frozen=True, slots=True)
class WriterSchema:
    """A schema records may be written with; `problems` say why it cannot be read
    as the Exchange schema (empty: it can).

    `defaults`, when not None, says that a record of this schema reads as the
    Exchange schema without Avro's resolving reader: decoded with the writer
    schema alone, it lacks only these (field, default) pairs, and every field it
    shares with the reader has the reader's very type. That costs about half of
    what resolution costs per record (see `benchmarks/decode.py`).
    """

    source: str
    parsed: Any
    fingerprint: bytes
    problems: tuple[str, ...]
    defaults: tuple[tuple[str, Any], ...] | None = None

    @property
    def readable(self) -> bool:
        return not self.problems

    def refusal(self, named: str) -> str:
        """The dead-letter reason for a record of this schema, `named` as the record names it."""
        return (
            f"writer schema {named} ({self.source}) cannot be read as the Exchange schema: "
            + "; ".join(self.problems)
        )


def writer_schema(text: str | dict[str, Any], source: str) -> WriterSchema:
    """A `WriterSchema` from schema JSON (text or parsed); `SchemaFileError` if it is not one."""
    try:
        raw = json.loads(text) if isinstance(text, str) else text
        parsed = parse_schema(raw)
        found = fingerprint_of(raw)
    except (ValueError, TypeError, KeyError, SchemaParseException) as error:
        raise SchemaFileError(f"{source}: not an Avro schema: {error}") from None
    problems = tuple(incompatibilities(parsed, READER_SCHEMA))
    defaults = None if problems else _projection(parsed)
    return WriterSchema(source, parsed, found, problems, defaults)


_PLAIN_DEFAULTS: Final = frozenset({"null", "boolean", "int", "long", "float", "double", "string"})


def _without_docs(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_docs(v) for k, v in schema.items() if k not in ("doc", "aliases")}
    if isinstance(schema, list):
        return [_without_docs(v) for v in schema]
    return schema


def _reader_default(kind: Any, default: Any) -> tuple[bool, Any]:
    """(True, the value fastavro's resolution fills in) for types whose default needs no
    conversion beyond bytes; (False, None) for any other."""
    first = kind[0] if isinstance(kind, list) else kind
    if isinstance(first, dict) and first.get("type") in ("map", "array"):
        return True, default
    if first == "bytes":
        return True, default.encode("iso-8859-1")
    return first in _PLAIN_DEFAULTS, default


def _projection(writer: Any) -> tuple[tuple[str, Any], ...] | None:
    """The reader's (field, default) pairs a writer lacks, when the writer shares every
    other field with the reader type for type; None when resolution is needed."""
    if writer.get("name") != READER_SCHEMA["name"]:
        return None
    written = {f["name"]: _without_docs(f["type"]) for f in writer["fields"]}
    missing = []
    for field in READER_SCHEMA["fields"]:
        name = field["name"]
        if name in written:
            if written[name] != _without_docs(field["type"]):
                return None
            continue
        plain, value = _reader_default(field["type"], field["default"])
        if not plain:
            return None
        missing.append((name, value))
    return tuple(missing)


def _files(directory: Path, source: str) -> Iterator[WriterSchema]:
    for path in sorted(directory.glob("*.avsc")):
        yield writer_schema(path.read_text(encoding="utf-8"), f"{source}/{path.name}")


def shipped_schemas() -> list[WriterSchema]:
    """Every released version of the Exchange schema, oldest first (by file name)."""
    history = resources.files("streams").joinpath(HISTORY)
    with resources.as_file(history) as directory:
        return list(_files(Path(directory), "shipped"))


def schema_directory(directory: Path) -> list[WriterSchema]:
    """The schemas of every ``.avsc`` file in `directory`; `SchemaFileError` names a bad one."""
    if not directory.is_dir():
        raise SchemaFileError(f"{directory}: not a directory of .avsc schema files")
    return list(_files(directory, str(directory)))


class SchemaBook:
    """Writer schemas by fingerprint and by registry id; see the module docstring.

    `by_id` answers a `WriterSchema`, a reason (the registry could not give the
    id's schema, asked less than `FAILED_FETCH_RETRY_S` ago), or None (never
    asked: fetch it with `learn`, when a registry is configured).
    """

    def __init__(
        self,
        schemas: Iterable[WriterSchema] = (),
        *,
        confluent_id: int | None = None,
        registry_url: str | None = None,
    ) -> None:
        self._by_fingerprint = {s.fingerprint: s for s in (*shipped_schemas(), *schemas)}
        current = writer_schema(READER_SCHEMA_JSON, "the Exchange schema")
        self._by_fingerprint[current.fingerprint] = current
        self._by_id: dict[int, WriterSchema] = {}
        if confluent_id is not None:
            self._by_id[confluent_id] = current
        self._failed: dict[int, tuple[float, str]] = {}
        self.registry_url = registry_url

    def by_fingerprint(self, found: bytes) -> WriterSchema | None:
        return self._by_fingerprint.get(found)

    def by_id(self, schema_id: int) -> WriterSchema | str | None:
        known = self._by_id.get(schema_id)
        if known is not None:
            return known
        failed = self._failed.get(schema_id)
        if failed is not None and time.monotonic() - failed[0] < FAILED_FETCH_RETRY_S:
            return failed[1]
        return None

    def known(self) -> str:
        """What this book knows, for a reason that names an unknown schema."""
        fingerprints = ", ".join(sorted(f.hex() for f in self._by_fingerprint))
        ids = ", ".join(str(i) for i in sorted(self._by_id)) or "none"
        return f"fingerprints {fingerprints}; registry ids {ids}"

    def add(self, schema_id: int, schema: WriterSchema) -> None:
        self._by_id[schema_id] = schema
        self._failed.pop(schema_id, None)

    def fail(self, schema_id: int, reason: str) -> None:
        if len(self._failed) >= MAX_FAILED_IDS:  # ids from garbage must not grow it for ever
            self._failed.pop(next(iter(self._failed)))
        self._failed[schema_id] = (time.monotonic(), reason)
