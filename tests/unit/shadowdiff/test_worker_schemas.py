"""`shadowdiff worker` reads SCHEMA_DIR before it starts: a bad file stops it, and a
schema it cannot read is named at once."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from shadowdiff.commands.worker import writer_schemas
from shadowdiff.settings import Settings
from streams.schemas import fingerprint_of
from tests.evolution import incompatible_schema, newer_schema


def test_a_file_that_is_no_schema_stops_the_worker_naming_it(tmp_path: Path) -> None:
    (tmp_path / "typo.avsc").write_text('{"type": "record", "name": "X", "fields": [')
    with pytest.raises(click.BadParameter, match=r"typo\.avsc: not an Avro schema"):
        writer_schemas(Settings(schema_dir=tmp_path))


def test_a_schema_the_worker_cannot_read_is_named_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "newer.avsc").write_text(json.dumps(newer_schema()))
    (tmp_path / "bad.avsc").write_text(json.dumps(incompatible_schema()))
    book = writer_schemas(
        Settings(schema_dir=tmp_path, schema_registry_url="http://r:8081", confluent_schema_id=3)
    )
    warned = capsys.readouterr().err
    assert "bad.avsc cannot be read as the Exchange schema" in warned
    assert "Exchange.status" in warned and "newer.avsc" not in warned
    newer = book.by_fingerprint(fingerprint_of(newer_schema()))
    assert newer is not None and newer.readable
    assert book.registry_url == "http://r:8081"
    assert book.by_id(3) is not None
