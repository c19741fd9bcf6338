"""`shadowdiff archive` on a real Kafka broker: killed twice mid-stream, every record once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams import codec
from streams.capture import read_capture, to_json
from streams.replay.layout import PARTIAL_SUFFIX, hour_of, list_archive
from streams.synthetic import generate
from streams.topics import ensure_topics
from tests.integration.topics import read_topic
from tests.integration.worker_harness import ChunkedPublisher

pytestmark = pytest.mark.integration

START = datetime(2025, 1, 6, 9, 59, 20, tzinfo=UTC)  # the traffic crosses an hour
PARTITIONS = 3


class Archiver:
    """`shadowdiff archive` in a subprocess, its output in a log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args, self.log = args, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shadowdiff", "archive", *self.args, *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ},
            )

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, self.tail()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def wait(self, timeout_s: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout_s)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else "(no log)"


def _closed_files(root: Path) -> int:
    return sum(len(files) for files in list_archive(root).values())


def _wait_for_files(root: Path, more_than: int, archiver: Archiver, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _closed_files(root) <= more_than:
        assert time.monotonic() < deadline, f"no new archive files\n{archiver.tail()}"
        assert archiver.process is not None and archiver.process.poll() is None, archiver.tail()
        time.sleep(0.2)


def test_an_archiver_killed_twice_leaves_every_record_exactly_once(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    topic = f"{topic_prefix}.exchanges"
    asyncio.run(ensure_topics([kafka_bootstrap], {topic: PARTITIONS}))
    exchanges = generate(2500, seed=9, start=START).exchanges
    root = tmp_path / "archive"
    archiver = Archiver(
        [
            "--to", str(root), "--bootstrap", kafka_bootstrap, "--topic", topic,
            "--group", f"{topic_prefix}-archive", "--max-open", "0.5", "--close-after", "1",
        ],
        tmp_path / "archive.log",
    )  # fmt: skip
    publisher = ChunkedPublisher(kafka_bootstrap, topic, exchanges, chunk=50, pause_s=0.5)
    archiver.start()
    publisher.start()
    for _ in range(2):
        _wait_for_files(root, _closed_files(root), archiver, timeout_s=90)
        time.sleep(0.3)  # mid-file: some records sit in open, uncommitted files
        assert publisher.published < len(exchanges), "the stream ended before the kill"
        archiver.kill()
        archiver.start()
    publisher.join()
    assert archiver.process is not None
    archiver.process.send_signal(signal.SIGTERM)  # closes its files, commits, exits
    assert archiver.wait(60) == 0, archiver.tail()
    archiver.start("--stop-when-idle", "3")  # catch up with whatever is left, then exit
    assert archiver.wait(180) == 0, archiver.tail()

    records = asyncio.run(read_topic(kafka_bootstrap, topic, len(exchanges)))
    assert len(records) == len(exchanges)
    by_partition: dict[int, dict[int, dict[str, object]]] = defaultdict(dict)
    for record in records:
        exchange = codec.decode(record.value or b"", max_body_bytes=None)
        by_partition[record.partition][record.offset] = to_json(exchange)
    archive = list_archive(root)
    assert set(archive) == set(by_partition)
    assert not list(root.rglob(f"*{PARTIAL_SUFFIX}"))
    hours = {
        (p, o): hour_of(datetime.fromisoformat(str(r["started_at"])))
        for p, offsets in by_partition.items()
        for o, r in offsets.items()
    }
    covering: dict[tuple[int, int], int] = defaultdict(int)
    for partition, files in archive.items():
        log = by_partition[partition]
        for made in files:
            offsets = [o for o in sorted(log) if made.covers(hours[(partition, o)], o)]
            held = [to_json(e) for e in read_capture(made.path(root))]
            assert held == [log[o] for o in offsets], f"{made.name} is not its range"
            for o in offsets:
                covering[(partition, o)] += 1
    assert len(hours) == len(exchanges)
    assert {key: covering[key] for key in hours} == dict.fromkeys(hours, 1)
    assert len({made.hour for files in archive.values() for made in files}) == 2
