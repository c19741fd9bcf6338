"""The background committer: batches in order, callbacks after their commit, errors raised."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

import storage
from comparator import Result
from streams.replay.commit import Committer
from tests.storage_contract import T0, count_rows, make_result


@pytest.fixture
def writer(tmp_path: Path) -> storage.ResultWriter:
    engine = storage.connect(f"sqlite:///{tmp_path / 'commit.db'}")
    storage.upgrade(engine)
    return storage.ResultWriter(engine, "replay", "rules-v1", kind="reprocess")


def _batch(first: int, size: int) -> list[Result]:
    return [make_result(f"r{i}", at=T0 + timedelta(seconds=i)) for i in range(first, first + size)]


def test_callbacks_follow_their_commit_in_order_off_the_calling_thread(
    writer: storage.ResultWriter,
) -> None:
    seen: list[tuple[int, int, int, bool]] = []

    def then(index: int, new: int) -> None:
        rows = count_rows(writer.engine, "comparisons")
        seen.append((index, new, rows, threading.current_thread() is threading.main_thread()))

    with Committer(writer) as committer:
        for index in range(4):
            committer.submit(_batch(index * 10, 10), lambda new, i=index: then(i, new))
        committer.submit(_batch(0, 5), lambda new: then(4, new))  # stored already
        committer.submit([], lambda new: then(5, new))
    assert seen == [
        (0, 10, 10, False),
        (1, 10, 20, False),
        (2, 10, 30, False),
        (3, 10, 40, False),
        (4, 0, 40, False),
        (5, 0, 40, False),
    ]


def test_an_error_is_raised_by_the_next_submit_and_nothing_after_it_runs(
    writer: storage.ResultWriter,
) -> None:
    ran: list[int] = []

    def fail(new: int) -> None:
        raise RuntimeError("checkpoint table gone")

    committer = Committer(writer)
    committer.submit(_batch(0, 3), fail)
    with pytest.raises(RuntimeError, match="checkpoint table gone"):
        committer.submit(_batch(3, 3), ran.append)
    committer.finish()
    assert ran == []
    assert count_rows(writer.engine, "comparisons") == 3


def test_leaving_on_an_error_waits_for_the_batch_in_flight(writer: storage.ResultWriter) -> None:
    done: list[int] = []
    with pytest.raises(KeyboardInterrupt), Committer(writer) as committer:
        committer.submit(_batch(0, 50), done.append)
        raise KeyboardInterrupt
    assert done == [50]
    assert count_rows(writer.engine, "comparisons") == 50
