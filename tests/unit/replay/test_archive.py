"""The archive of one partition, without Kafka: hourly files, exact across crashes, captures."""

from __future__ import annotations

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
from streams.replay.layout import PARTIAL_SUFFIX, hour_of, list_archive
from streams.synthetic import generate

START = datetime(2025, 1, 6, 9, 59, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def log() -> list[Exchange]:
    """One partition's records, crossing an hour: offset = index."""
    return generate(1600, seed=5, start=START).exchanges


def _archive(root: Path, **options: object) -> PartitionArchive:
    return PartitionArchive(root, 0, close_after=timedelta(seconds=5), **options)  # type: ignore[arg-type]


def _check_exactly_once(root: Path, log: list[Exchange]) -> None:
    """Every file holds exactly the records of its hour in its range; together, each once."""
    files = list_archive(root)[0]
    hours = [hour_of(e.started_at) for e in log]
    covering = [0] * len(log)
    for made in files:
        offsets = [o for o in range(made.first, made.last + 1) if made.covers(hours[o], o)]
        assert [to_json(e) for e in read_capture(made.path(root))] == [
            to_json(log[o]) for o in offsets
        ]
        for offset in offsets:
            covering[offset] += 1
    assert covering == [1] * len(log)
    assert not list(root.rglob(f"*{PARTIAL_SUFFIX}"))


def test_records_land_in_hourly_files_as_captures(tmp_path: Path, log: list[Exchange]) -> None:
    archive = _archive(tmp_path)
    for offset, exchange in enumerate(log):
        archive.add(offset, codec.encode(exchange))
        archive.close_ready()
    assert archive.counters.files == 1  # 09:00 closed once event time passed 10:00:05
    assert archive.commit_offset() is not None and archive.commit_offset() < len(log)
    archive.close_all()
    assert archive.commit_offset() == len(log)
    assert {made.hour.hour for made in list_archive(tmp_path)[0]} == {9, 10}
    _check_exactly_once(tmp_path, log)
    first = list_archive(tmp_path)[0][0].path(tmp_path)
    outcome = CliRunner().invoke(
        main, ["demo", "--capture", str(first), "--db", f"sqlite:///{tmp_path / 'd.db'}"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert f"exchanges from {first.name}" in outcome.output


def test_crashes_rewrite_open_files_never_duplicate(tmp_path: Path, log: list[Exchange]) -> None:
    """Kill (drop the state, keep the disk) at several points; resume from the commit."""
    crashes = [300, 700, 900, 2600]
    skipped = 0
    committed = 0
    for crash_at in [*crashes, None]:
        archive = _archive(tmp_path, max_open_s=0.0 if crash_at == 900 else 600.0)
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
    _check_exactly_once(tmp_path, log)


def test_ticks_close_hours_and_bad_records_are_not_archived(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
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


def test_zstandard_files_are_captures(tmp_path: Path, log: list[Exchange]) -> None:
    archive = _archive(tmp_path, compression="zstandard")
    for offset, exchange in enumerate(log[:200]):
        archive.add(offset, codec.encode(exchange))
    [made] = archive.close_all()
    with made.path(tmp_path).open("rb") as stream:
        assert fastavro.reader(stream).metadata["avro.codec"] == "zstandard"
    assert [to_json(e) for e in read_capture(made.path(tmp_path))] == [
        to_json(e) for e in log[:200]
    ]
