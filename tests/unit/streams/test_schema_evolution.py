"""Records written with other versions of the Exchange schema: read, or refused with reasons."""

from __future__ import annotations

import asyncio
import io
import json
from importlib import resources
from pathlib import Path

import pytest
from fastavro import parse_schema, schemaless_reader

from streams import codec, registry
from streams.schemas import (
    HISTORY,
    READER_SCHEMA,
    SchemaBook,
    SchemaFileError,
    fingerprint_of,
    schema_directory,
    shipped_schemas,
    writer_schema,
)
from streams.synthetic import generate
from tests.evolution import (
    DROPPED,
    encode_as,
    incompatible_schema,
    newer_schema,
    older_schema,
)

EXCHANGES = generate(20, seed=4).exchanges


def _directory(tmp_path: Path, **schemas: dict[str, object]) -> Path:
    for name, schema in schemas.items():
        (tmp_path / f"{name}.avsc").write_text(json.dumps(schema))
    return tmp_path


def _book(tmp_path: Path) -> SchemaBook:
    directory = _directory(
        tmp_path, newer=newer_schema(), older=older_schema(), bad=incompatible_schema()
    )
    return SchemaBook(schema_directory(directory))


def test_every_released_schema_still_resolves_against_the_reader() -> None:
    shipped = shipped_schemas()
    assert shipped, f"streams/{HISTORY} must hold every released Exchange schema"
    for schema in shipped:
        assert schema.readable, (schema.source, schema.problems)


def test_the_current_schema_is_kept_in_the_history() -> None:
    # Changing exchange.avsc without keeping the new version here would strand
    # every gateway that publishes with it once a later version ships.
    assert codec.FINGERPRINT in {s.fingerprint for s in shipped_schemas()}
    names = [p.name for p in resources.files("streams").joinpath(HISTORY).iterdir()]
    assert all(n.startswith("exchange.v") and n.endswith(".avsc") for n in names), names


def test_a_record_of_a_newer_schema_is_read(tmp_path: Path) -> None:
    book = _book(tmp_path)
    for exchange in EXCHANGES:
        assert codec.decode(encode_as(exchange, newer_schema()), schemas=book) == exchange


def test_a_record_of_an_older_schema_gets_the_defaults(tmp_path: Path) -> None:
    book = _book(tmp_path)
    for exchange in EXCHANGES:
        decoded = codec.decode(encode_as(exchange, older_schema()), schemas=book)
        assert decoded.backend_version is None and decoded.error == exchange.error
        assert decoded.request_id == exchange.request_id
        assert decoded.response_body == exchange.response_body
        assert decoded.started_at == exchange.started_at
    assert set(DROPPED) <= {f["name"] for f in codec.SCHEMA_JSON["fields"]}


def test_an_incompatible_schema_is_refused_naming_fingerprint_and_problem(tmp_path: Path) -> None:
    book = _book(tmp_path)
    found = fingerprint_of(incompatible_schema()).hex()
    with pytest.raises(codec.DecodeError) as caught:
        codec.decode(encode_as(EXCHANGES[0], incompatible_schema()), schemas=book)
    assert caught.value.kind == "incompatible_schema"
    assert f"writer schema fingerprint {found}" in caught.value.reason
    assert "bad.avsc" in caught.value.reason
    assert "Exchange.status: the writer's string matches no branch of [null, int]" in (
        caught.value.reason
    )


def test_an_unknown_fingerprint_names_itself_and_what_is_known() -> None:
    found = fingerprint_of(newer_schema()).hex()
    with pytest.raises(codec.DecodeError) as caught:
        codec.decode(encode_as(EXCHANGES[0], newer_schema()), schemas=SchemaBook())
    assert caught.value.kind == "unknown_schema"
    assert f"unknown schema fingerprint {found}" in caught.value.reason
    assert codec.FINGERPRINT.hex() in caught.value.reason


def test_confluent_ids_resolve_once_known(tmp_path: Path) -> None:
    book = SchemaBook(confluent_id=5, registry_url="http://127.0.0.1:9")
    newer = encode_as(EXCHANGES[1], newer_schema(), schema_id=6)
    with pytest.raises(codec.SchemaNeeded) as needed:
        codec.decode(newer, schemas=book, schema_id=5)
    assert needed.value.schema_id == 6
    book.add(6, writer_schema(json.dumps(newer_schema()), "registry id 6"))
    assert codec.decode(newer, schemas=book, schema_id=5) == EXCHANGES[1]
    assert codec.decode(codec.encode(EXCHANGES[2], framing="confluent", schema_id=5), schemas=book)


def test_an_unreachable_registry_is_a_reason_not_a_crash() -> None:
    book = SchemaBook(registry_url="http://127.0.0.1:9")  # the discard port: nothing listens
    asyncio.run(registry.learn(book, 6))
    reason = book.by_id(6)
    assert isinstance(reason, str) and "registry at http://127.0.0.1:9 is unreachable" in reason
    with pytest.raises(codec.DecodeError, match="unknown schema id 6: the registry at"):
        codec.decode(encode_as(EXCHANGES[0], newer_schema(), schema_id=6), schemas=book)


def test_a_schema_directory_with_a_bad_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "broken.avsc").write_text('{"type": "record", "name": "X", "fields": [{}]}')
    with pytest.raises(SchemaFileError, match=r"broken\.avsc: not an Avro schema"):
        schema_directory(tmp_path)
    (tmp_path / "broken.avsc").write_text("{not json")
    with pytest.raises(SchemaFileError, match=r"broken\.avsc: not an Avro schema"):
        schema_directory(tmp_path)
    with pytest.raises(SchemaFileError, match="not a directory"):
        schema_directory(tmp_path / "missing")


def test_reading_without_resolution_equals_avro_resolution() -> None:
    promoted = newer_schema()
    for field in promoted["fields"]:
        if field["name"] == "latency_ms":
            field["type"] = ["null", "float"]  # float promoted to double: needs resolution
        if field["name"] == "path":
            field["doc"] = "reworded"  # docs do not matter
    schemas = {"newer": newer_schema(), "older": older_schema(), "promoted": promoted}
    known = {name: writer_schema(schema, name) for name, schema in schemas.items()}
    assert known["newer"].defaults == ()
    assert known["older"].defaults == (("backend_version", None),)
    assert known["promoted"].defaults is None
    book = SchemaBook(known.values())
    for name, schema in schemas.items():
        for exchange in EXCHANGES:
            data = encode_as(exchange, schema)
            resolved = schemaless_reader(io.BytesIO(data[10:]), parse_schema(schema), READER_SCHEMA)
            expected = codec.from_record(resolved)  # type: ignore[arg-type]
            assert codec.decode(data, schemas=book) == expected, name
