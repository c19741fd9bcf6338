"""Avro container files of every codec the Avro specification names, read as captures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import fastavro
import pytest
from click.testing import CliRunner

from shadowdiff.commands import demo
from streams.capture import (
    AVRO_CODECS,
    DEFAULT_AVRO_CODEC,
    AvroCodec,
    CaptureError,
    count_records,
    read_capture,
    write_capture,
)
from streams.synthetic import generate


def _codec_of(path: Path) -> str:
    with path.open("rb") as stream:
        return str(fastavro.reader(stream).metadata["avro.codec"])


def test_every_codec_of_the_specification_is_supported() -> None:
    assert set(AVRO_CODECS) == {"null", "deflate", "bzip2", "snappy", "xz", "zstandard"}
    assert DEFAULT_AVRO_CODEC == "deflate"


@pytest.mark.parametrize("avro_codec", AVRO_CODECS)
def test_round_trip(tmp_path: Path, avro_codec: AvroCodec) -> None:
    exchanges = generate(80, seed=5).exchanges
    path = tmp_path / f"capture-{avro_codec}.avro"
    assert write_capture(path, exchanges, avro_codec=avro_codec) == len(exchanges)
    assert _codec_of(path) == avro_codec
    assert count_records(path) == len(exchanges)
    assert list(read_capture(path)) == exchanges


def test_files_are_written_with_the_default_codec(tmp_path: Path) -> None:
    path = tmp_path / "capture.avro"
    write_capture(path, generate(3, seed=1).exchanges)
    assert _codec_of(path) == DEFAULT_AVRO_CODEC


def test_an_unknown_codec_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown Avro codec 'lzo'"):
        write_capture(tmp_path / "c.avro", [], avro_codec="lzo")  # type: ignore[arg-type]


@pytest.mark.parametrize("avro_codec", [c for c in AVRO_CODECS if c != "null"])
def test_a_damaged_block_is_a_capture_error(tmp_path: Path, avro_codec: AvroCodec) -> None:
    path = tmp_path / "damaged.avro"
    write_capture(path, generate(40, seed=2).exchanges, avro_codec=avro_codec)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(CaptureError, match=r"damaged\.avro: record \d+"):
        list(read_capture(path))


@pytest.mark.parametrize("avro_codec", AVRO_CODECS)
def test_demo_judges_a_capture_of_every_codec(tmp_path: Path, avro_codec: AvroCodec) -> None:
    traffic = generate(40, seed=9)
    capture = tmp_path / f"traffic-{avro_codec}.avro"
    write_capture(capture, traffic.exchanges, avro_codec=avro_codec)
    database = tmp_path / "demo.sqlite"
    result = CliRunner().invoke(
        demo.command,
        ["--capture", str(capture), "--db", f"sqlite:///{database}"],
        env={"RULES_FILE": None, "GRACE_PERIOD_S": None},
    )
    assert result.exit_code == 0, result.output
    assert f"{len(traffic.truth)} results stored" in result.output
    with sqlite3.connect(database) as connection:
        stored = dict(connection.execute("SELECT request_id, verdict FROM comparisons"))
    assert stored == {rid: fate.expected for rid, fate in traffic.truth.items()}
