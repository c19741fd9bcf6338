"""The archive of one partition, without Kafka: hourly files, exact across crashes, captures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fastavro
import pytest
from click.testing import CliRunner

from shadowdiff.cli import main
from streams import codec
from streams.capture import read_capture, to_json
from streams.exchange import Exchange
from streams.replay.archive import PartitionArchive
from streams.replay.layout import PARTIAL_SUFFIX, ArchiveFile, hour_of, list_archive
from streams.replay.location import Location
from streams.synthetic import generate

START = datetime(2025, 1, 6, 9, 59, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def log() -> list[Exchange]:
    """One partition's records, crossing an hour: offset = index."""
    return generate(1600, seed=5, start=START).exchanges


@pytest.fixture(params=["local", "file", "memory"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the archive goes: a local path, a file:// URL, fsspec's in-memory filesystem."""
    if request.param == "local":
        yield str(tmp_path / "archive")
    elif request.param == "file":
        yield f"file://{tmp_path}/archive"
    else:
        url = f"memory://archive-{uuid.uuid4().hex}/archive"
        yield url
        memory = Location.of(url)
        memory.fs.rm(memory.root, recursive=True)


def _archive(root: str, **options: object) -> PartitionArchive:
    return PartitionArchive(
        Location.of(root),
        0,
        close_after=timedelta(seconds=5),
        **options,  # type: ignore[arg-type]
    )


def _held(root: str, made: ArchiveFile) -> list[Exchange]:
    location = Location.of(root)
    with location.open(made.relative) as stream:
        return list(read_capture(made.name, stream=stream))


def _check_exactly_once(root: str, log: list[Exchange]) -> None:
    """Every file holds exactly the records of its hour in its range; together, each once."""
    files = list_archive(root)[0]
    hours = [hour_of(e.started_at) for e in log]
    covering = [0] * len(log)
    for made in files:
        offsets = [o for o in range(made.first, made.last + 1) if made.covers(hours[o], o)]
        assert [to_json(e) for e in _held(root, made)] == [to_json(log[o]) for o in offsets]
        for offset in offsets:
            covering[offset] += 1
    assert covering == [1] * len(log)
    location = Location.of(root)
    assert not [name for name in location.fs.find(location.root) if PARTIAL_SUFFIX in name]


def test_records_land_in_hourly_files_as_captures(tmp_path: Path, log: list[Exchange]) -> None:
    archive = _archive(str(tmp_path))
    for offset, exchange in enumerate(log):
        archive.add(offset, codec.encode(exchange))
        archive.close_ready()
    assert archive.counters.files == 1  # 09:00 closed once event time passed 10:00:05
    assert archive.commit_offset() is not None and archive.commit_offset() < len(log)
    archive.close_all()
    assert archive.commit_offset() == len(log)
    assert {made.hour.hour for made in list_archive(tmp_path)[0]} == {9, 10}
    _check_exactly_once(str(tmp_path), log)
    first = list_archive(tmp_path)[0][0].path(tmp_path)
    outcome = CliRunner().invoke(
        main, ["demo", "--capture", str(first), "--db", f"sqlite:///{tmp_path / 'd.db'}"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert f"exchanges from {first.name}" in outcome.output


def test_crashes_rewrite_open_files_never_duplicate(root: str, log: list[Exchange]) -> None:
    """Kill (drop the state, keep the files) at several points; resume from the commit."""
    crashes = [300, 700, 900, 2600]
    skipped = 0
    committed = 0
    for crash_at in [*crashes, None]:
        archive = _archive(root, max_open_s=0.0 if crash_at == 900 else 600.0)
        end = len(log) if crash_at is None else min(crash_at, len(log))
        for offset in range(committed, end):
            archive.add(offset, codec.encode(log[offset]))
            archive.close_ready()
            # The consumer commits now and then; the crash loses everything after.
            if offset % 97 == 0:
                committed = archive.commit_offset() or committed
        skipped += archive.counters.skipped
        if crash_at is None:
            archive.close_all()
            committed = archive.commit_offset() or committed
    assert committed == len(log)
    assert skipped > 0  # re-read records that closed files already held
    _check_exactly_once(root, log)


def test_ticks_close_hours_and_bad_records_are_not_archived(tmp_path: Path) -> None:
    archive = _archive(str(tmp_path))
    one = generate(1, seed=1, start=START).exchanges[0]
    archive.add(0, codec.encode(one))
    archive.add(1, b"\x00garbage")
    archive.add(2, None, tick=START + timedelta(seconds=20))
    assert archive.counters.undecodable == 1
    assert archive.close_ready() == [] and archive.commit_offset() == 0
    archive.add(3, None, tick=START + timedelta(seconds=40))  # 5 s past 10:00
    [made] = archive.close_ready()
    assert (made.first, made.last) == (0, 0)
    assert archive.commit_offset() == 4
    assert [e.request_id for e in read_capture(made.path(tmp_path))] == [one.request_id]


def test_zstandard_files_are_captures(root: str, log: list[Exchange]) -> None:
    archive = _archive(root, compression="zstandard")
    for offset, exchange in enumerate(log[:200]):
        archive.add(offset, codec.encode(exchange))
    [made] = archive.close_all()
    with Location.of(root).open(made.relative) as stream:
        assert fastavro.reader(stream).metadata["avro.codec"] == "zstandard"
    assert [to_json(e) for e in _held(root, made)] == [to_json(e) for e in log[:200]]


def test_an_object_store_sees_a_file_only_once_it_is_whole(log: list[Exchange]) -> None:
    """On memory:// (no rename) nothing is written before close, and close writes it whole."""
    url = f"memory://archive-{uuid.uuid4().hex}/archive"
    location = Location.of(url)
    archive = _archive(url)
    for offset, exchange in enumerate(log[:300]):
        archive.add(offset, codec.encode(exchange))
    assert location.fs.find(location.root) == []
    [made] = archive.close_all()
    assert location.fs.find(location.root) == [location.path(made.relative)]
    assert [to_json(e) for e in _held(url, made)] == [to_json(e) for e in log[:300]]
    location.fs.rm(location.root, recursive=True)
